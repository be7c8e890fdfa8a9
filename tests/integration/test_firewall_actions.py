"""Firewall rules through the real proxy and a real origin: what each action does to a
request, in which order rules run, what the access log and /metrics show."""

import copy

from helpers import RawConn


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------

def rule(rule_id, expression, action="block", enabled=None, logging=None, **params):
    r = {"id": rule_id, "expression": expression, "action": action}
    if params:
        r["action_parameters"] = params
    if enabled is not None:
        r["enabled"] = enabled
    if logging is not None:
        r["logging"] = logging
    return r


def site(origin, name="main", hosts=("main.test",), rules=None, default=True):
    s = {"name": name, "hosts": list(hosts), "origin": {"endpoints": [origin.endpoint]}}
    if default:
        s["default"] = True
    if rules is not None:
        s["firewall"] = {"rules": rules}
    return s


def start(rampart_factory, origin, site_rules=None, rules=None, sites=None, **overrides):
    """rampart in front of `origin` with config-wide `rules` and the default site's
    `site_rules`."""
    cfg = {"sites": sites if sites is not None else [site(origin, rules=site_rules)]}
    if rules is not None:
        cfg["firewall"] = {"rules": rules}
    cfg.update(overrides)
    return rampart_factory([origin], **cfg)


def send(r, target, method="GET", host="main.test", headers=(), body=b""):
    with RawConn(r.port) as c:
        return c.request(method, target, host=host, headers=list(headers), body=body)


def forwarded(resp, target):
    """The request reached the origin's /echo unchanged."""
    assert resp.status == 200, resp
    return resp.json()["target"] == target


def is_edge_block(resp, status=403):
    """Answered by rampart's own error page, not by the origin."""
    return resp.status == status and b"refused at the edge" in resp.body


def log_entry(r, resp):
    rid = resp.get("X-Request-Id")
    assert rid, resp
    return r.wait_log(lambda e: e["request_id"] == rid)


def origin_saw(origin, target, method="GET"):
    return ("%s %s" % (method, target)) in origin.stats()["recent"]


# --------------------------------------------------------------------------------------
# block
# --------------------------------------------------------------------------------------

def test_block_by_path_header_method_query_arg_and_cookie(rampart_factory, origin):
    r = start(rampart_factory, origin, site_rules=[
        rule("path", 'http.request.uri.path eq "/admin"'),
        rule("header", 'http.request.headers["x-evil"] eq "yes"'),
        rule("method", 'http.request.method eq "DELETE"'),
        rule("query-arg", 'http.request.uri.args["debug"] eq "true"'),
        rule("cookie", 'http.request.cookies["role"] eq "root"'),
    ])
    blocked = [
        ("GET", "/admin", []),
        ("GET", "/echo", [("X-Evil", "no"), ("X-Evil", "yes")]),  # any of the values
        ("DELETE", "/echo", []),
        ("GET", "/echo?a=1&debug=true", []),
        ("GET", "/echo?debug=%74rue", []),  # arguments are matched decoded
        ("GET", "/echo", [("Cookie", "theme=dark; role=root")]),
    ]
    for method, target, headers in blocked:
        resp = send(r, target, method=method, headers=headers)
        assert is_edge_block(resp), (method, target, headers, resp)
        assert resp.get("X-Request-Id")
        assert not origin_saw(origin, target, method), (method, target)

    passed = [
        ("GET", "/admin/users", []),       # eq is the whole path
        ("GET", "/Admin", []),             # paths are case-sensitive
        ("GET", "/echo", [("X-Evil", "no")]),
        ("POST", "/echo", []),
        ("GET", "/echo?debug=false&x=true", []),
        ("GET", "/echo?debugx=true", []),
        ("GET", "/echo", [("Cookie", "role=user; x=root")]),
    ]
    for method, target, headers in passed:
        resp = send(r, target, method=method, headers=headers)
        if target.startswith("/echo"):
            assert forwarded(resp, target), (method, target, resp)
        else:
            assert resp.status == 404 and b"not found" in resp.body, (target, resp)  # the origin's
        assert origin_saw(origin, target, method), (method, target)


def test_block_with_custom_response(rampart_factory, origin):
    r = start(rampart_factory, origin, site_rules=[
        rule("json", 'http.request.uri.path eq "/legal"', status_code=451,
             content_type="application/json", content='{"error": "unavailable"}'),
        rule("plain", 'http.request.uri.path eq "/gone"', status_code=404,
             content_type="text/plain", content="Not here.\n"),
        rule("default", 'http.request.uri.path eq "/plain-block"'),
    ])
    resp = send(r, "/legal")
    assert resp.status == 451
    assert resp.get("Content-Type") == "application/json"
    assert resp.json() == {"error": "unavailable"}
    assert resp.get("Content-Length") == str(len(resp.body))

    resp = send(r, "/gone")
    assert resp.status == 404
    assert resp.get("Content-Type") == "text/plain"
    assert resp.body == b"Not here.\n"

    # HEAD gets the head of the custom response, no body
    with RawConn(r.port) as c:
        resp = c.request("HEAD", "/legal")
    assert resp.status == 451 and resp.body == b""
    assert resp.get("Content-Length") == str(len('{"error": "unavailable"}'))

    # without content: rampart's own error page, 403
    resp = send(r, "/plain-block")
    assert is_edge_block(resp)
    assert resp.get("Content-Type", "").startswith("text/html")
    assert not origin_saw(origin, "/legal") and not origin_saw(origin, "/gone")


# --------------------------------------------------------------------------------------
# order: config-wide rules, then the site's; one site's rules stay with that site
# --------------------------------------------------------------------------------------

def test_config_wide_rules_run_before_site_rules(rampart_factory, origin):
    r = start(
        rampart_factory, origin,
        rules=[
            rule("g-log", 'starts_with(http.request.uri.path, "/both")', "log"),
            rule("g-block", 'http.request.uri.path eq "/both"', status_code=401,
                 content_type="text/plain", content="global"),
        ],
        site_rules=[
            rule("s-block", 'starts_with(http.request.uri.path, "/both")', status_code=402,
                 content_type="text/plain", content="site"),
        ])
    resp = send(r, "/both")
    assert (resp.status, resp.body) == (401, b"global")
    assert log_entry(r, resp)["rules"] == ["g-log", "g-block"]
    # the config-wide block does not match here, so the site's rule decides
    resp = send(r, "/both/x")
    assert (resp.status, resp.body) == (402, b"site")
    assert log_entry(r, resp)["rules"] == ["g-log", "s-block"]


def test_site_rules_apply_only_to_their_site(rampart_factory, origin_factory):
    a = origin_factory("A")
    b = origin_factory("B")
    r = start(rampart_factory, a,
              rules=[rule("everywhere", 'http.request.uri.path eq "/all"')],
              sites=[site(a, "a", ["a.test"], rules=[
                         rule("a-only", 'http.request.uri.path eq "/echo"', status_code=410,
                              content_type="text/plain", content="a says no")]),
                     site(b, "b", ["b.test"], default=False, rules=[
                         rule("b-only", 'http.request.uri.path eq "/b"')])])
    resp = send(r, "/echo", host="a.test")
    assert (resp.status, resp.body) == (410, b"a says no")
    resp = send(r, "/echo", host="b.test")
    assert resp.status == 200 and resp.json()["name"] == "B"
    # b's rule does not apply to a
    resp = send(r, "/b", host="a.test")
    assert resp.status == 404 and b"not found" in resp.body  # from origin A
    assert is_edge_block(send(r, "/b", host="b.test"))
    # config-wide rules apply to every site
    for host in ("a.test", "b.test", "unknown.test"):  # unknown: the default site a
        assert is_edge_block(send(r, "/all", host=host)), host


# --------------------------------------------------------------------------------------
# log, allow, skip
# --------------------------------------------------------------------------------------

def test_log_records_and_forwards(rampart_factory, origin):
    r = start(rampart_factory, origin, site_rules=[
        rule("seen-curl", 'lower(http.user_agent) contains "curl"', "log"),
        rule("seen-echo", 'http.request.uri.path eq "/echo"', "log"),
    ])
    resp = send(r, "/echo?x=1", headers=[("User-Agent", "CURL/8.1")])
    assert forwarded(resp, "/echo?x=1")
    e = log_entry(r, resp)
    assert e["status"] == 200
    assert e["rules"] == ["seen-curl", "seen-echo"]
    assert e["verdicts"].get("firewall") == "log"
    # no rule matched: no "rules" key at all
    resp = send(r, "/other", headers=[("User-Agent", "firefox")])
    assert resp.status == 404
    assert "rules" not in log_entry(r, resp)


def test_allow_stops_later_rules(rampart_factory, origin):
    r = start(
        rampart_factory, origin,
        rules=[
            rule("g-log", 'http.request.uri.path eq "/echo"', "log"),
            rule("office", 'http.request.headers["x-office"] eq "1"', "allow"),
            rule("g-block", 'http.request.uri.path eq "/echo"',
                 status_code=403, content_type="text/plain", content="g-block"),
        ],
        site_rules=[rule("s-block", "true", content_type="text/plain", content="s-block")])
    resp = send(r, "/echo", headers=[("X-Office", "1")])
    assert forwarded(resp, "/echo")
    e = log_entry(r, resp)
    assert e["rules"] == ["g-log", "office"]
    assert e["verdicts"].get("firewall") == "allow"
    # without the header the later config-wide rule blocks, and then the site's rule
    assert send(r, "/echo").body == b"g-block"
    assert send(r, "/other").body == b"s-block"
    resp = send(r, "/echo?q", headers=[("X-Office", "1")])
    assert forwarded(resp, "/echo?q")


def test_skip_named_rules_and_remaining_rules(rampart_factory, origin):
    r = start(
        rampart_factory, origin,
        rules=[
            rule("skip-named", 'http.request.headers["x-skip"] eq "named"', "skip",
                 rules=["g-block", "s-block"]),
            rule("skip-rest", 'http.request.headers["x-skip"] eq "rest"', "skip",
                 remaining_rules=True),
            rule("g-block", 'http.request.uri.path eq "/echo"', status_code=403,
                 content_type="text/plain", content="g-block"),
        ],
        site_rules=[
            rule("s-block", 'starts_with(http.request.uri.path, "/echo")', status_code=403,
                 content_type="text/plain", content="s-block"),
            rule("s-block-2", 'http.request.uri.query eq "two"', status_code=410,
                 content_type="text/plain", content="s-block-2"),
        ])
    # nothing skipped
    assert send(r, "/echo").body == b"g-block"
    assert send(r, "/echo/x").body == b"s-block"
    # the named rules are skipped, the others still run
    resp = send(r, "/echo", headers=[("X-Skip", "named")])
    assert forwarded(resp, "/echo")
    e = log_entry(r, resp)
    assert e["rules"] == ["skip-named"]
    assert e["verdicts"].get("firewall") == "skip"
    resp = send(r, "/echo?two", headers=[("X-Skip", "named")])
    assert (resp.status, resp.body) == (410, b"s-block-2")
    # remaining_rules skips every later rule, the site's included
    for target in ("/echo", "/echo?two"):
        resp = send(r, target, headers=[("X-Skip", "rest")])
        assert forwarded(resp, target)
        assert log_entry(r, resp)["rules"] == ["skip-rest"]


# --------------------------------------------------------------------------------------
# redirect, rewrite, challenge
# --------------------------------------------------------------------------------------

def test_redirect_literal_and_expression_targets(rampart_factory, origin):
    r = start(rampart_factory, origin, site_rules=[
        rule("moved", 'http.request.uri.path eq "/old"', "redirect",
             target_url="https://new.example/landing", status_code=301,
             preserve_query_string=True),
        rule("moved-q", 'http.request.uri.path eq "/old-q"', "redirect",
             target_url="/new?from=old", preserve_query_string=True),
        rule("plain", 'http.request.uri.path eq "/tmp"', "redirect", target_url="/elsewhere"),
        rule("fragment", 'http.request.uri.path eq "/manual"', "redirect",
             target_url="/docs#intro", preserve_query_string=True),
        rule("https", 'starts_with(http.request.uri.path, "/secure/")', "redirect",
             target_url={"expression":
                         'concat("https://", http.host, http.request.uri.path)'},
             status_code=308, preserve_query_string=True),
    ])
    resp = send(r, "/old?a=1&b=2")
    assert resp.status == 301
    assert resp.get("Location") == "https://new.example/landing?a=1&b=2"
    assert resp.body == b""
    assert send(r, "/old").get("Location") == "https://new.example/landing"
    # a target with its own query gets the request's appended with &
    resp = send(r, "/old-q?x=9")
    assert resp.status == 302 and resp.get("Location") == "/new?from=old&x=9"
    # default: 302, query dropped
    resp = send(r, "/tmp?x=1")
    assert resp.status == 302 and resp.get("Location") == "/elsewhere"
    # a fragment stays last
    resp = send(r, "/manual?lang=en")
    assert resp.status == 302 and resp.get("Location") == "/docs?lang=en#intro"
    # computed per request
    resp = send(r, "/secure/account?tab=2", host="Main.Test:8080")
    assert resp.status == 308
    assert resp.get("Location") == "https://main.test/secure/account?tab=2"
    e = log_entry(r, resp)
    assert e["rules"] == ["https"] and e["status"] == 308
    assert e["verdicts"].get("firewall") == "redirect"
    assert "error" not in e
    for t in ("/old?a=1&b=2", "/old-q?x=9", "/tmp?x=1", "/secure/account?tab=2"):
        assert not origin_saw(origin, t)


def test_rewrite_changes_what_the_origin_receives(rampart_factory, origin):
    r = start(rampart_factory, origin, site_rules=[
        rule("literal", 'http.request.uri.path eq "/v1/echo"', "rewrite",
             path="/echo", query="from=v1"),
        rule("computed", 'starts_with(http.request.uri.path, "/legacy/")', "rewrite",
             path={"expression": 'substring(http.request.uri.path, 7)'},
             query={"expression": 'concat(http.request.uri.query, "&via=legacy")'}),
        rule("query-only", 'http.request.uri.args["drop"] eq "1"', "rewrite", query=""),
        rule("after", 'http.request.uri.path eq "/v1/echo"', "log"),
    ])
    resp = send(r, "/v1/echo?ignored=1")
    assert resp.status == 200
    j = resp.json()
    assert j["target"] == "/echo?from=v1"
    assert j["path"] == "/echo"
    e = log_entry(r, resp)
    # later rules still run, and see the request as the client sent it
    assert e["rules"] == ["literal", "after"]
    assert e["verdicts"].get("firewall") == "rewrite"

    resp = send(r, "/legacy/echo?a=1")
    assert resp.status == 200 and resp.json()["target"] == "/echo?a=1&via=legacy"
    resp = send(r, "/echo?drop=1&keep=2")
    assert resp.status == 200 and resp.json()["target"] == "/echo"
    # a request no rule rewrites goes as it came
    assert forwarded(send(r, "/echo?a=%20b"), "/echo?a=%20b")


def test_challenge_is_served_by_the_bot_phase(rampart_factory, origin):
    s = site(origin, rules=[
        rule("c", 'http.request.headers["x-c"] eq "challenge"', "challenge"),
        rule("js", 'http.request.headers["x-c"] eq "js"', "js_challenge"),
        rule("managed", 'http.request.headers["x-c"] eq "managed"', "managed_challenge"),
        rule("after", 'http.request.uri.path eq "/echo"',
             content_type="text/plain", content="later block"),
    ])
    s["redirects"] = [{"from": "/old", "to": "/new", "status": 301}]
    r = start(rampart_factory, origin, sites=[s])
    for kind, rid in (("challenge", "c"), ("js", "js"), ("managed", "managed")):
        resp = send(r, "/echo?" + kind, headers=[("X-C", kind)])
        # not a navigation: the short answer (test_challenge.py covers the page)
        assert resp.status == 403 and b"challenge required" in resp.body, (kind, resp)
        e = log_entry(r, resp)
        assert e["rules"] == [rid]  # the challenge ends the firewall's rules
        assert e["status"] == 403
        assert not origin_saw(origin, "/echo?" + kind)
    resp = send(r, "/echo", headers=[("X-C", "other")])
    assert (resp.status, resp.body) == (403, b"later block")
    # the site's redirects come after the challenge: an unchallenged client is not
    # redirected either
    assert send(r, "/old").status == 301
    resp = send(r, "/old", headers=[("X-C", "js")])
    assert resp.status == 403 and resp.get("Location") is None, resp


# --------------------------------------------------------------------------------------
# enabled: false, the access log and /metrics, the kill switch
# --------------------------------------------------------------------------------------

def test_disabled_rule_never_matches(rampart_factory, origin):
    r = start(rampart_factory, origin, site_rules=[
        rule("off", 'http.request.uri.path eq "/echo"', enabled=False),
        rule("off-log", "true", "log", enabled=False),
    ])
    for _ in range(3):
        resp = send(r, "/echo")
        assert forwarded(resp, "/echo")
        assert "rules" not in log_entry(r, resp)
    m = r.metrics()
    assert m.value("rampart_rule_matches_total", rule="off") == 0
    assert m.value("rampart_rule_matches_total", rule="off-log") == 0


def test_matches_in_access_log_and_metrics_survive_reload(rampart_factory, origin):
    rules = [
        rule("watch", 'http.request.uri.path eq "/echo"', "log"),
        rule("deny", 'http.request.uri.path eq "/deny"'),
        rule("deny-quietly", 'http.request.uri.path eq "/quiet"', logging=False),
    ]
    r = start(rampart_factory, origin, site_rules=rules)
    m = r.metrics()
    for rid in ("watch", "deny", "deny-quietly"):
        assert m.find("rampart_rule_matches_total", rule=rid) == [({"rule": rid}, 0)], m.text

    for _ in range(3):
        resp = send(r, "/echo")
        assert forwarded(resp, "/echo")
        assert log_entry(r, resp)["rules"] == ["watch"]
    for _ in range(2):
        resp = send(r, "/deny")
        assert is_edge_block(resp)
        e = log_entry(r, resp)
        assert e["rules"] == ["deny"] and e["status"] == 403
        assert e["verdicts"].get("firewall") == "block"
    resp = send(r, "/quiet")
    assert is_edge_block(resp)
    assert "rules" not in log_entry(r, resp)  # counted, not listed

    m = r.metrics()
    assert m.value("rampart_rule_matches_total", rule="watch") == 3
    assert m.value("rampart_rule_matches_total", rule="deny") == 2
    assert m.value("rampart_rule_matches_total", rule="deny-quietly") == 1
    assert "# TYPE rampart_rule_matches_total counter" in m.text

    # a reload keeps the counts of the ids that stay; a new id starts at 0, a removed
    # one disappears
    new = copy.deepcopy(r.config)
    new["version"] = "test-2"
    new["sites"][0]["firewall"]["rules"] = [
        rule("new-one", 'http.request.uri.path eq "/new"'),
        rule("deny", 'http.request.uri.path eq "/deny" or http.request.uri.path eq "/deny2"'),
        rule("watch", 'http.request.uri.path eq "/echo"', "log"),
    ]
    r.write_config(new)
    status, _, body = r.reload()
    assert status == 200, body
    m = r.metrics()
    assert m.value("rampart_rule_matches_total", rule="watch") == 3
    assert m.value("rampart_rule_matches_total", rule="deny") == 2
    assert m.find("rampart_rule_matches_total", rule="new-one") == [({"rule": "new-one"}, 0)]
    assert m.find("rampart_rule_matches_total", rule="deny-quietly") == []
    assert is_edge_block(send(r, "/deny2"))
    assert forwarded(send(r, "/echo"), "/echo")
    m = r.metrics()
    assert m.value("rampart_rule_matches_total", rule="deny") == 3
    assert m.value("rampart_rule_matches_total", rule="watch") == 4


def test_kill_switch_lets_everything_through(rampart_factory, origin):
    rules = [rule("deny-all", "true", content_type="text/plain", content="denied")]
    r = start(rampart_factory, origin, rules=rules,
              modules={"firewall": {"enabled": False}})
    resp = send(r, "/echo")
    assert forwarded(resp, "/echo")
    assert "rules" not in log_entry(r, resp)
    assert r.metrics().find("rampart_rule_matches_total") == []
    # switched back on by a reload, and off again
    new = copy.deepcopy(r.config)
    new["modules"] = {"firewall": {"enabled": True}}
    r.write_config(new)
    assert r.reload()[0] == 200
    assert send(r, "/echo").body == b"denied"
    new["modules"] = {"firewall": {"enabled": False}}
    r.write_config(new)
    assert r.reload()[0] == 200
    assert forwarded(send(r, "/echo"), "/echo")


# --------------------------------------------------------------------------------------
# large rulesets go through the rule index; the first matching rule must still win
# --------------------------------------------------------------------------------------

def labelled(rule_id, expression, **kw):
    return rule(rule_id, expression, content_type="text/plain", content=rule_id, **kw)


def test_indexed_ruleset_keeps_rule_order(rampart_factory, origin):
    rules = [labelled("r%d" % i, 'http.request.uri.path eq "/p/%d"' % i) for i in range(200)]
    # an early rule the index cannot narrow, and later indexed rules matching the same
    rules[2] = rule("r2", 'http.request.uri.path eq "/idx/hit"', "log")
    rules[5] = labelled("r5", 'starts_with(http.request.uri.path, "/idx/")')
    rules[150] = labelled("r150", 'http.request.uri.path eq "/idx/hit"')
    # an early rule indexed on another field than a later one
    rules[7] = labelled("r7", 'http.host eq "main.test" and http.request.uri.path eq "/multi"')
    rules[120] = labelled("r120", 'http.request.uri.path in {"/multi" "/other"}')
    # an integer-keyed rule before a path-keyed one
    rules[30] = labelled("r30", 'http.request.body.size eq 5 and http.request.method eq "POST"')
    # a disabled rule sharing its key with the next
    rules[60] = labelled("r60", 'http.request.uri.path eq "/p/61"', enabled=False)
    # an unindexed rule late in the list
    rules[190] = labelled("r190", 'http.request.uri.path contains "late"')
    r = start(rampart_factory, origin, site_rules=rules)

    def body_of(target, **kw):
        resp = send(r, target, **kw)
        assert resp.status == 403, (target, resp)
        return resp.body.decode()

    assert body_of("/idx/hit") == "r5"
    resp = send(r, "/idx/hit")
    assert log_entry(r, resp)["rules"] == ["r2", "r5"]
    assert body_of("/idx/other") == "r5"
    assert body_of("/multi") == "r7"
    assert body_of("/multi", host="other.test") == "r120"  # the default site, another host
    assert body_of("/other") == "r120"
    assert body_of("/p/31", method="POST", body=b"hello") == "r30"
    assert body_of("/p/31", method="POST", body=b"hell") == "r31"
    assert body_of("/p/61") == "r61"
    assert body_of("/p/0") == "r0"
    assert body_of("/p/199") == "r199"
    assert body_of("/p/42/late") == "r190"
    assert forwarded(send(r, "/echo?p=/p/1"), "/echo?p=/p/1")
    assert r.metrics().value("rampart_rule_matches_total", rule="r150") == 0


# --------------------------------------------------------------------------------------
# a rule whose action cannot be carried out
# --------------------------------------------------------------------------------------

def test_failing_rewrite_does_not_let_later_rules_be_bypassed(rampart_factory, origin):
    r = start(rampart_factory, origin, site_rules=[
        rule("decode", 'starts_with(http.request.uri.path, "/")', "rewrite",
             path={"expression": "url_decode(http.request.uri.path)"}),
        rule("secret", 'http.request.uri.path contains "secret"'),
    ])
    assert forwarded(send(r, "/echo"), "/echo")
    assert is_edge_block(send(r, "/secret"))
    # "%20" decodes to a space, which no target sent upstream may hold: the rewrite
    # fails, and the block after it must still apply
    resp = send(r, "/secret%20x")
    assert is_edge_block(resp), resp
    assert log_entry(r, resp)["rules"] == ["decode", "secret"]
    assert not origin_saw(origin, "/secret%20x")
    # with no later rule deciding, the module failure is handled by the fail mode
    # (open by default: the request goes on as the client sent it)
    resp = send(r, "/echo%20x")
    assert resp.status == 404 and b"/echo%20x" in resp.body
    e = log_entry(r, resp)
    assert e["verdicts"].get("firewall") == "error-skipped"


def test_computed_redirect_never_points_at_another_host(rampart_factory, origin):
    r = start(rampart_factory, origin, site_rules=[
        rule("slash", 'not ends_with(http.request.uri.path, "/")', "redirect",
             target_url={"expression": 'concat(http.request.uri.path, "/")'}),
    ])
    resp = send(r, "/docs")
    assert resp.status == 302 and resp.get("Location") == "/docs/"
    for target in ("//evil.example", "/\\evil.example"):
        resp = send(r, target)
        assert resp.get("Location") is None, (target, resp)
        assert resp.status != 302, (target, resp)
