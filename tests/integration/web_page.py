#!/usr/bin/python3
"""The rack page in a real headless browser (Debian's chromium, driven by
chromedriver through python3-selenium), for tests/integration/web_page.sh
and tests/rack/screenshots.sh.  Prints ok / not ok lines.

  web_page.py ops URL EXPECT_JSON CYCLE_SLOT HOSTILE_SLOT HOSTILE_TEXT
  web_page.py customer URL KEY_ID SECRET OWN_NAME OTHER_NAME
  web_page.py shot URL FILE.png [SLOT: open its pane]
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

failed = False


def check(name, cond):
    global failed
    print(("ok " if cond else "not ok ") + name, flush=True)
    if not cond:
        failed = True


def browser(width=1280, height=900):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=%d,%d" % (width, height), "--no-first-run",
              "--disable-background-networking"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def ready(d, mode, timeout=20):
    WebDriverWait(d, timeout).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == mode)


def states(d):
    out = {}
    for c in d.find_elements(By.CSS_SELECTOR, ".slot"):
        out[c.get_attribute("data-key")] = c.get_attribute("data-state")
    return out


def csp_violations(d):
    return [e["message"] for e in d.get_log("browser")
            if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]


def ops(url, expect_json, cycle, hostile_slot, hostile_text):
    expect = json.loads(expect_json)
    d = browser()
    try:
        d.get(url)
        ready(d, "ops")
        got = {}
        for st in states(d).values():
            got[st] = got.get(st, 0) + 1
        check("ops page: the grid has every slot, by state %s" % json.dumps(got, sort_keys=True),
              got == expect)
        counts = {e.get_attribute("id")[6:]: int(e.get_attribute("data-count"))
                  for e in d.find_elements(By.CSS_SELECTOR, "#counts .count")}
        check("ops page: the counts per state say the same", counts == expect)
        WebDriverWait(d, 10).until(lambda d: "live" == d.find_element(By.ID, "live").text)
        check("ops page: the event stream is connected", True)

        cell = d.find_element(By.CSS_SELECTOR, '.slot[data-key="%s"]' % hostile_slot)
        check("a hostile model is shown as text", hostile_text in cell.text)
        check("a hostile model makes no element",
              not d.find_elements(By.CSS_SELECTOR, "#grid script, #grid img, #grid b"))
        check("no script ran from it", d.execute_script("return window.pwned === undefined"))

        # the state filter
        d.find_element(By.CSS_SELECTOR, '#filter-state option[value="off"]').click()
        shown = [c for c in d.find_elements(By.CSS_SELECTOR, ".slot") if c.is_displayed()]
        check("the state filter shows only that state's slots",
              len(shown) == expect.get("off", 0) and all(
                  c.get_attribute("data-state") == "off" for c in shown))
        d.find_element(By.CSS_SELECTOR, '#filter-state option[value=""]').click()

        # power-cycle from the page, watch the stream move the slot
        d.find_element(By.CSS_SELECTOR, '.slot[data-key="%s"]' % cycle).click()
        WebDriverWait(d, 10).until(lambda d: d.find_element(By.ID, "detail").is_displayed())
        check("the detail pane has a trace link",
              d.find_element(By.ID, "detail-trace").get_attribute("href").endswith(
                  "/v1/slots/%s/trace" % cycle))
        d.find_element(By.CSS_SELECTOR, '#detail-actions button[data-action="cycle"]').click()
        WebDriverWait(d, 5).until(lambda d: d.find_element(By.ID, "confirm").is_displayed())
        check("a power cycle asks first", "Power cycle" in d.find_element(By.ID, "confirm-text").text)
        d.find_element(By.ID, "confirm-yes").click()
        seen = []
        end = time.time() + 90
        sel = '.slot[data-key="%s"]' % cycle
        while time.time() < end:
            try:
                st = d.find_element(By.CSS_SELECTOR, sel).get_attribute("data-state")
            except Exception:
                st = None
            if st and (not seen or seen[-1] != st):
                seen.append(st)
            if "off" in seen and st == "booted":
                break
            time.sleep(0.1)
        print("# slot %s went through %s" % (cycle, " -> ".join(seen)), flush=True)
        off_at = seen.index("off") if "off" in seen else -1
        booting = [s for s in seen[off_at + 1:] if s in ("powered", "dhcp", "firmware", "kernel")]
        check("the cycled slot goes off (from the stream)", off_at >= 0)
        check("then booting", len(booting) > 0)
        check("then up (booted)", seen[-1] == "booted" and off_at >= 0)
        WebDriverWait(d, 10).until(lambda d: d.find_elements(
            By.CSS_SELECTOR, '#detail-timeline li[data-stage="up"].done'))
        # read at once: the pane is redrawn as events come
        done = d.execute_script(
            "return [...document.querySelectorAll('#detail-timeline li.done')]"
            ".map(li => li.dataset.stage)")
        check("the timeline shows the boot's stages with their times (%s)" % ",".join(done),
              "power" in done and "up" in done and "kernel" in done)
        check("no Content-Security-Policy violation", not csp_violations(d))
    finally:
        d.quit()


def customer(url, key_id, secret, own, other):
    d = browser()
    try:
        d.get(url)
        WebDriverWait(d, 10).until(lambda d: d.find_element(By.ID, "login").is_displayed())
        check("customer page: asks for an API key", True)
        d.find_element(By.ID, "login-id").send_keys(key_id)
        d.find_element(By.ID, "login-secret").send_keys("prs_wrong")
        d.find_element(By.ID, "login-go").click()
        WebDriverWait(d, 10).until(lambda d: d.find_element(By.ID, "login-error").text)
        check("a wrong secret is refused", "refused" in d.find_element(By.ID, "login-error").text)
        d.find_element(By.ID, "login-secret").clear()
        d.find_element(By.ID, "login-secret").send_keys(secret)
        d.find_element(By.ID, "login-go").click()
        ready(d, "customer")
        keys = sorted(states(d).keys())
        check("customer page: only the customer's own pis (%s)" % ",".join(keys), keys == [own])
        check("customer page: nothing of the rack's switches",
              not d.find_element(By.ID, "filter-switch-label").is_displayed())
        status = d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/pi/servers/' + arguments[0] + '/power', {method: 'PUT',
                headers: {'Authorization': 'Bearer ' + app.token, 'Content-Type': 'application/json'},
                body: '{"power": false}'}).then(r => done(r.status), e => done(String(e)));
        """, other)
        check("acting on another customer's pi is refused by the server (%s)" % status, status == 404)
        status = d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/v1/slots').then(r => done(r.status), e => done(String(e)));
        """)
        check("the ops API is not on the customer listener (%s)" % status, status == 404)
        d.find_element(By.CSS_SELECTOR, '.slot[data-key="%s"]' % own).click()
        d.find_element(By.CSS_SELECTOR, '#detail-actions button[data-action="off"]').click()
        WebDriverWait(d, 5).until(lambda d: d.find_element(By.ID, "confirm").is_displayed())
        d.find_element(By.ID, "confirm-yes").click()
        WebDriverWait(d, 10).until(lambda d: d.find_element(By.ID, "message").text)
        msg = d.find_element(By.ID, "message").text
        check("the customer powers off their own pi from the page (%s)" % msg, "asked" in msg)
        WebDriverWait(d, 30).until(
            lambda d: states(d).get(own) == "off")
        check("and the page shows it off, from the stream", True)
        check("no Content-Security-Policy violation", not csp_violations(d))
    except Exception:
        for e in d.get_log("browser"):
            print("# console: " + e["message"], flush=True)
        print("# message: " + d.find_element(By.ID, "message").text, flush=True)
        raise
    finally:
        d.quit()


def shot(url, path, select=None, width=1400, height=900):
    d = browser(width, height)
    try:
        d.get(url)
        ready(d, "ops")
        if select:  # open a slot's pane, and wait for its timeline
            d.find_element(By.CSS_SELECTOR, '.slot[data-key="%s"]' % select).click()
            WebDriverWait(d, 10).until(lambda d: d.find_elements(
                By.CSS_SELECTOR, "#detail-timeline li.done"))
        time.sleep(0.5)
        d.save_screenshot(path)
    finally:
        d.quit()


if __name__ == "__main__":
    try:
        if sys.argv[1] == "ops":
            ops(*sys.argv[2:7])
        elif sys.argv[1] == "customer":
            customer(*sys.argv[2:7])
        elif sys.argv[1] == "shot":
            shot(*sys.argv[2:5])
    except Exception as e:  # a step that timed out: say which, fail
        print("not ok the browser: %s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
        failed = True
    sys.exit(1 if failed else 0)
