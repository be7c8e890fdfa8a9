"""Staged activation from the tests' side, shared by the canary and cluster rollout
tests (integration and chaos): a config variant to reload, the reload that must stage
it, the deployment state in GET /config, one request that says which config answered."""

import copy
import json

from helpers import RawConn


def variant(r, version, value="two", rules=None, endpoints=None):
    """r's config as `version`, answering with X-Cfg: `value`. `rules`: the site's
    firewall rules instead of its own ([]: none); `endpoints`: its origin's."""
    new = copy.deepcopy(r.config)
    new["version"] = version
    site = new["sites"][0]
    site["response_headers"] = [{"set": {"name": "X-Cfg", "value": value}}]
    if rules == []:
        site.pop("firewall", None)
    elif rules is not None:
        site["firewall"] = {"rules": rules}
    if endpoints is not None:
        site["origin"] = {"endpoints": endpoints}
    return new


def config_state(r):
    s, _, body = r.admin_get("/config")
    assert s == 200, (s, body)
    return json.loads(body)


def reload_staged(r, cfg):
    """Writes `cfg` and reloads; the answer must say it was staged, not applied."""
    r.write_config(cfg)
    status, _, body = r.reload()
    assert status == 200, body
    answer = json.loads(body)
    assert answer == {"ok": True, "config_version": cfg["version"], "staged": True}, answer


def one_request(r):
    """One request on a fresh connection: (status, X-Cfg or None)."""
    with RawConn(r.port) as c:
        resp = c.request("GET", "/echo")
    return resp.status, resp.get("X-Cfg")
