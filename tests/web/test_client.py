"""What a request says about where it comes from (web/client.py), read from ASGI scopes as
uvicorn builds them: cookies, origin, address, scheme."""

from __future__ import annotations

from transcribe.web.client import (
    client_address,
    cookie_values,
    header,
    is_https,
    limit_key,
    same_origin,
)


def scope(*headers: tuple[str, str], client: tuple[str, int] | None = ("10.1.2.3", 5555),
          scheme: str = "http") -> dict:
    found = {"type": "http", "scheme": scheme,
             "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers]}
    if client is not None:
        found["client"] = client
    return found


def test_headers_of_one_name_are_joined_cookies_with_semicolons():
    request = scope(("Cookie", "a=1"), ("Cookie", "b=2"), ("Accept", "x"), ("Accept", "y"))
    assert header(request, b"cookie") == "a=1; b=2"
    assert header(request, b"accept") == "x, y"
    assert header(request, b"origin") == "" and header({}, b"host") == ""


def test_every_value_of_our_cookie_in_order_whatever_else_is_there():
    cookies = 'prefs={"a":1}; s=one; junk; s = "two" ; other=s=three; s=; =s'
    assert cookie_values(cookies, "s") == ["one", "two", ""]
    assert cookie_values("", "s") == [] and cookie_values('s="', "s") == ['"']
    assert cookie_values('s=""', "s") == [""]


def test_only_the_pages_own_origin_is_the_same_origin():
    def same(origin: str, host: str = "app.example.org", proxy: bool = False,
             forwarded: str | None = None) -> bool:
        headers = [("Origin", origin), ("Host", host)] if origin else [("Host", host)]
        if forwarded is not None:
            headers.append(("X-Forwarded-Host", forwarded))
        return same_origin(scope(*headers), proxy)

    assert same("")  # no Origin: not a page of another site (curl, the kubelet)
    assert same("https://app.example.org") and same("http://app.example.org")
    assert same("https://app.example.org:443") and same("http://app.example.org:80")
    assert not same("https://app.example.org:80") and not same("http://app.example.org:443")
    assert same("http://127.0.0.1:8501", "127.0.0.1:8501")
    assert not same("http://127.0.0.1:8502", "127.0.0.1:8501")
    assert not same("http://127.0.0.1", "127.0.0.1:8501")
    assert same("https://app.example.org:8443", "app.example.org:8443")
    for other in ("https://evil.example.org", "null", "file:///x", "https://", "app.example.org",
                  "https://app.example.org:bad", "ftp://app.example.org"):
        assert not same(other), other
    assert not same("https://app.example.org", "[bad")  # a Host that is no host
    # Behind a declared proxy, the host the browser used is the forwarded one.
    assert same("https://user.lab.example.org", "10.0.0.5:8501", proxy=True,
                forwarded="spoofed.example.org, user.lab.example.org")
    assert not same("https://user.lab.example.org", "10.0.0.5:8501", proxy=False,
                    forwarded="user.lab.example.org")
    assert not same("https://user.lab.example.org", "10.0.0.5:8501", proxy=True,
                    forwarded="user.lab.example.org, other.example.org")


def test_the_address_and_scheme_from_a_declared_proxy_only():
    request = scope(("X-Forwarded-For", "1.1.1.1, 10.0.0.7 "), ("X-Forwarded-Proto", "HTTPS"))
    assert client_address(request) == "10.1.2.3"  # anyone can send the header
    assert client_address(request, behind_proxy=True) == "10.0.0.7"
    assert client_address(scope(("X-Forwarded-For", " "), client=("10.9.9.9", 1)), True) == \
        "10.9.9.9"
    assert client_address(scope(client=None)) == "unknown"
    assert is_https(request) and is_https(scope(("X-Forwarded-Proto", "https, http")))
    assert not is_https(scope(("X-Forwarded-Proto", "http, https")))
    assert is_https(scope(scheme="https")) and is_https(scope(scheme="wss"))
    assert not is_https(scope()) and not is_https(scope(scheme="ws"))


def test_the_limit_counts_an_ipv6_household_as_one():
    assert limit_key("10.0.0.7") == "10.0.0.7"
    assert limit_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert limit_key("2001:db8:1:2::ffff") == limit_key("2001:db8:1:2:aaaa::1")
    assert limit_key("2001:db8:1:3::1") != limit_key("2001:db8:1:2::1")
    assert limit_key("::ffff:10.0.0.7") == "10.0.0.7"
    assert limit_key("unknown") == "unknown"
