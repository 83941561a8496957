#!/bin/sh
# make install puts every file where the docs say, under DESTDIR, and
# never overwrites an operator's configuration.
. "$(dirname "$0")/../lib/common.sh"

d="$TEST_TMP/root"
make -C "$TOP" -s install BUILD="$BUILD" DESTDIR="$d" PREFIX=/usr/local >"$TEST_TMP/log" 2>&1 ||
    { cat "$TEST_TMP/log"; not_ok "make install"; exit 1; }
ok "make install"
# PREFIX=/usr/local: the unit, sysusers.d and tmpfiles.d files where
# systemd looks under /usr/local.
for f in usr/local/sbin/pirackd usr/local/bin/pirack usr/local/sbin/poectl \
         usr/local/share/man/man1/pirack.1 usr/local/share/man/man5/pirackd.conf.5 \
         usr/local/share/man/man8/pirackd.8 usr/local/share/man/man8/poectl.8 \
         usr/local/share/doc/pirack/examples/pirackd.conf usr/local/share/pirack/profiles/standard.profile \
         etc/pirack/pirackd.conf usr/local/lib/systemd/system/pirackd.service \
         usr/local/lib/sysusers.d/pirack.conf usr/local/lib/tmpfiles.d/pirack.conf; do
    check "installs /$f" test -s "$d/$f"
done
check "nothing outside PREFIX but /etc" sh -c "cd '$d' && [ -z \"\$(ls | grep -v '^etc\$\|^usr\$')\" ] && [ \"\$(ls usr)\" = local ]"
check "the unit names the installed binary" grep -q "^ExecStart=/usr/local/sbin/pirackd " "$d/usr/local/lib/systemd/system/pirackd.service"
# PREFIX=/usr: the unit in the directory systemd.pc names.
u="$TEST_TMP/usr-root"
make -C "$TOP" -s install BUILD="$BUILD" DESTDIR="$u" PREFIX=/usr >/dev/null 2>&1
sd_dir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
check "PREFIX=/usr: the unit in $sd_dir" grep -q "^ExecStart=/usr/sbin/pirackd " "$u$sd_dir/pirackd.service"
check "the installed example passes --check" "$d/usr/local/sbin/pirackd" -c "$d/etc/pirack/pirackd.conf" --check
echo "# mine" >>"$d/etc/pirack/pirackd.conf"
make -C "$TOP" -s install BUILD="$BUILD" DESTDIR="$d" PREFIX=/usr/local >/dev/null 2>&1
check "a second install keeps the operator's config" grep -q "^# mine$" "$d/etc/pirack/pirackd.conf"
check "the man pages render" sh -c "man -l '$d/usr/local/share/man/man5/pirackd.conf.5' >/dev/null 2>&1 || ! command -v man >/dev/null"
check "installs pirack's bash completion" test -s "$d/usr/local/share/bash-completion/completions/pirack"
check "installs pirack's zsh completion" test -s "$d/usr/local/share/zsh/site-functions/_pirack"
