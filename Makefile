# pirack build.  `make` builds pirackd and pirack; `make check` runs every
# test; `make demo` boots a simulated rack; `make asan` builds with
# AddressSanitizer and UBSan into build-asan/.
#
# Sources are found by wildcard so that a module adds files without
# touching this file:
#   daemon/*.c daemon/*/*.c tftp/*.c poe/*.c -> build/libpirack.a
#                                 (daemon/main.c -> pirackd)
#   cli/*.c                       -> pirack
#   tests/unit/test_*.c           -> one cmocka binary each
#   poe/poectl/                   -> poectl, the operator's switch tool (installed)
#   tests/{sim,bench,tools}/NAME/ -> one program per folder
#   tests/fuzz/fuzz_*.c           -> one libFuzzer binary each (clang);
#                                 `make fuzz-long` runs each FUZZ_RUNS times

PREFIX  ?= /usr/local
DESTDIR ?=
# systemd's directories: for PREFIX=/usr the ones systemd.pc names (where
# the distribution's systemd looks), else under PREFIX (systemd also reads
# /usr/local/lib/systemd/system, sysusers.d and tmpfiles.d).
ifeq ($(PREFIX),/usr)
sd_var = $(or $(shell pkg-config --variable=$(1) systemd 2>/dev/null),$(2))
UNITDIR     ?= $(call sd_var,systemdsystemunitdir,/lib/systemd/system)
SYSUSERSDIR ?= $(call sd_var,sysusersdir,/usr/lib/sysusers.d)
TMPFILESDIR ?= $(call sd_var,tmpfilesdir,/usr/lib/tmpfiles.d)
else
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
endif
BUILD   ?= build
VERSION := 0.1.0

CC      ?= cc
PKGS    := libpcap libnl-3.0 libnl-route-3.0 libssh sqlite3 netsnmp \
           libmicrohttpd jansson libsodium inih libcurl libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

WARN    := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wformat=2 -Wno-format-nonliteral -Wvla -Wpointer-arith -Werror
HARDEN  := -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(CFLAGS) $(WARN) $(HARDEN) -Iinclude -I. \
             -DPIRACK_VERSION=\"$(VERSION)\" $(PKG_CFLAGS) $(SAN_CFLAGS)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS) $(SAN_CFLAGS)

ifeq ($(SAN),1)
SAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
CFLAGS     := -O1 -g
HARDEN     := -fstack-protector-strong -fPIE
endif

LIB_SRCS  := $(filter-out daemon/main.c,$(wildcard daemon/*.c daemon/*/*.c)) \
             $(wildcard tftp/*.c) $(wildcard poe/*.c)
LIB_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
CLI_SRCS  := $(wildcard cli/*.c)
CLI_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
UNIT_HELPERS := $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c))
TOOL_DIRS := poe/poectl
PROG_DIRS := $(TOOL_DIRS) $(patsubst %/,%,$(wildcard tests/sim/*/ tests/bench/*/ tests/tools/*/))
TOOL_BINS := $(foreach d,$(TOOL_DIRS),$(BUILD)/bin/$(notdir $(d)))
PROG_BINS := $(foreach d,$(PROG_DIRS),$(BUILD)/bin/$(notdir $(d)))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

.SECONDARY:
.PHONY: all tests progs fuzz check demo bench deps install clean asan check-asan deb lint format fuzz-long
all: $(BUILD)/pirackd $(BUILD)/pirack $(TOOL_BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The web page's files are in the binary (.incbin in daemon/http/web.c).
WEB_FILES := $(wildcard web/*.html web/*.js web/*.css)
$(BUILD)/obj/daemon/http/web.o: $(WEB_FILES)

# q, not r: daemon/*/ share file names (service.o, metrics.o), and r would
# replace one folder's member with another's.
$(BUILD)/libpirack.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar qcs $@ $^

$(BUILD)/pirackd: $(BUILD)/obj/daemon/main.o $(BUILD)/libpirack.a
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/pirack: $(CLI_OBJS)
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Link the test's own source and the objects only: the dependency file adds
# the sources a test #includes to $^, and linking those as well would define
# their functions twice.
$(BUILD)/tests/%: tests/unit/%.c $(patsubst %.c,$(BUILD)/obj/%.o,$(UNIT_HELPERS)) $(BUILD)/libpirack.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d -MT $@ -Itests/unit -DSRCDIR=\"$(CURDIR)\" $(ALL_LDFLAGS) -o $@ $< $(filter %.o %.a,$^) $(PKG_LIBS) -lcmocka

define prog_rule
$(BUILD)/bin/$(notdir $(1)): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(1)/*.c)) $(BUILD)/libpirack.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach d,$(PROG_DIRS),$(eval $(call prog_rule,$(d))))

tests: all $(UNIT_BINS) $(PROG_BINS)
progs: $(PROG_BINS)

# libFuzzer targets: the library is built again with clang and coverage.
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Iinclude -I. $(PKG_CFLAGS) \
               -Werror=implicit-function-declaration \
               -fsanitize=fuzzer-no-link,address,undefined -DPIRACK_VERSION=\"$(VERSION)\"
$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	@clang $(FUZZ_CFLAGS) -c $< -o $@
# An archive, as for the daemon: a fuzzer pulls in only the objects it
# needs, not the services that need pirackd's main (pr_daemon_event).
$(BUILD)/libpirack-fuzz.a: $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(LIB_SRCS))
	rm -f $@ && ar qcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/libpirack-fuzz.a
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)
fuzz: $(FUZZ_BINS)

# Every fuzz target for FUZZ_RUNS executions each (default 10 million)
# from its corpus; the table it prints goes in docs/testing.md.
FUZZ_RUNS ?= 10000000
fuzz-long: fuzz
	PIRACK_BUILD=$(BUILD) FUZZ_RUNS=$(FUZZ_RUNS) sh tests/fuzz/long.sh

deps:
	@sh scripts/deps.sh

# The tree's rules and style (also run by `make check`, as tests/static/).
lint: tests
	PIRACK_BUILD=$(BUILD) sh tests/static/tree.sh

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

# The build runs on every core: on 2 cores it is half of a fresh clone's
# `make check` otherwise.
JOBS ?= $(shell nproc)

check: deps
	$(MAKE) -j$(JOBS) tests fuzz
	PIRACK_BUILD=$(BUILD) sh tests/run.sh

asan:
	$(MAKE) BUILD=build-asan SAN=1 tests

check-asan: deps
	$(MAKE) -j$(JOBS) BUILD=build-asan SAN=1 tests fuzz
	PIRACK_BUILD=build-asan sh tests/run.sh

demo: deps
	$(MAKE) -j$(JOBS) tests
	PIRACK_BUILD=$(BUILD) sh tests/rack/demo.sh

bench: deps
	$(MAKE) -j$(JOBS) tests
	PIRACK_BUILD=$(BUILD) sh tests/bench/run.sh

# Files only: the user, group and directories come from the sysusers.d and
# tmpfiles.d files at the next boot, or at once with
#   systemd-sysusers && systemd-tmpfiles --create pirack.conf
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
	    $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/pirack/profiles \
	    $(DESTDIR)$(PREFIX)/share/doc/pirack/examples \
	    $(DESTDIR)/etc/pirack $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(BUILD)/pirackd $(DESTDIR)$(PREFIX)/sbin/pirackd
	install -m 0755 $(BUILD)/pirack $(DESTDIR)$(PREFIX)/bin/pirack
	install -m 0755 $(BUILD)/bin/poectl $(DESTDIR)$(PREFIX)/sbin/poectl
	install -m 0644 man/pirack.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/pirackd.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 man/pirackd.8 man/poectl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 docs/examples/pirackd.conf $(DESTDIR)$(PREFIX)/share/doc/pirack/examples/
	[ -e $(DESTDIR)/etc/pirack/pirackd.conf ] || \
	    install -m 0640 docs/examples/pirackd.conf $(DESTDIR)/etc/pirack/pirackd.conf
	sed 's|@PREFIX@|$(PREFIX)|g' systemd/pirackd.service > $(DESTDIR)$(UNITDIR)/pirackd.service
	install -m 0644 systemd/pirack.sysusers $(DESTDIR)$(SYSUSERSDIR)/pirack.conf
	install -m 0644 systemd/pirack.tmpfiles $(DESTDIR)$(TMPFILESDIR)/pirack.conf
	if [ -d poe/profiles ]; then install -m 0644 poe/profiles/* $(DESTDIR)$(PREFIX)/share/pirack/profiles/; fi

# The Debian package, built from a copy of the tree (the source's build/
# and debian/ outputs stay out of it), into $(BUILD)/deb/; rebuilt only
# when a file git knows of changed.  Prints the .deb's path last.
DEB_SRCS := $(filter-out $(shell git ls-files --deleted 2>/dev/null),\
              $(shell git ls-files --cached --others --exclude-standard 2>/dev/null))
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_VERSION = $(shell dpkg-parsechangelog -S Version 2>/dev/null)
DEB_FILE = $(BUILD)/deb/pirack_$(DEB_VERSION)_$(DEB_ARCH).deb
deb: $(BUILD)/deb/.stamp
	@echo $(abspath $(DEB_FILE))
$(BUILD)/deb/.stamp: $(filter-out build/% build-asan/%,$(DEB_SRCS))
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	tar -c $(filter-out build/% build-asan/%,$(DEB_SRCS)) | tar -x -C $(BUILD)/deb/src
	cd $(BUILD)/deb/src && dpkg-buildpackage -b -us -uc -j2 >../build.log 2>&1 || \
	    { tail -n 40 ../build.log >&2; exit 1; }
	rm -rf $(BUILD)/deb/src
	touch $@

clean:
	rm -rf build build-asan

# Unit tests keep theirs beside the binary: some include sources directly.
-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)

# Shell completion for pirack: bash-completion's directory and zsh's
# site-functions under PREFIX; the Debian package puts zsh's where
# Debian's zsh looks (ZSH_COMPLETION_DIR=/usr/share/zsh/vendor-completions).
ZSH_COMPLETION_DIR ?= $(PREFIX)/share/zsh/site-functions
install: install-completion
.PHONY: install-completion
install-completion:
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(ZSH_COMPLETION_DIR)
	install -m 0644 cli/completion/pirack.bash \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/pirack
	install -m 0644 cli/completion/pirack.zsh $(DESTDIR)$(ZSH_COMPLETION_DIR)/_pirack
