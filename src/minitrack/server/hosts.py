"""Which Host headers the UI answers, and whether a bind address reaches the network.

A web page on another site can point its own domain at 127.0.0.1 (DNS rebinding)
and read the runs through the visitor's browser; its requests carry that domain
as Host. So every request's Host header is parsed exactly (name, port, IPv6
brackets; no userinfo, path or trailing dot) and compared with an allowed set:

- bound to loopback: ``localhost``, ``127.0.0.1`` and ``[::1]`` on the bound port;
- bound to anything else: MLflow's defaults (loopback names and ``0.0.0.0`` on any
  port, private IPv4 and IPv6 literals), plus the ``--host`` given, on its port;
- ``--allowed-hosts`` (MLflow's option) replaces either default: ``name``,
  ``name:port``, ``name:*``, ``*`` wildcards inside a name (``*.example.com``,
  ``192.168.*``), ``[::1]:*`` for IPv6, and ``*`` alone for every host.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

from minitrack.exceptions import MinitrackException

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
# MLflow's defaults for a server that is not on loopback (security_utils.py).
DEFAULT_ANY_PORT_NAMES = (*LOOPBACK_NAMES, "0.0.0.0")
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_PORT = re.compile(r"[0-9]{1,5}")
_PATTERN_NAME = re.compile(r"[a-z0-9_.*-]+")
_IPV4_PREFIX = re.compile(r"[0-9.*]*[0-9][0-9.*]*")


@dataclass(frozen=True)
class HostHeader:
    """A parsed Host header: ``name`` lower-case (IPv6 in brackets, compressed), ``port``."""

    name: str
    port: int | None

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        try:
            return ipaddress.ip_address(self.name.strip("[]"))
        except ValueError:
            return None

    def __str__(self) -> str:
        return self.name if self.port is None else f"{self.name}:{self.port}"


def _split_port(value: str) -> tuple[str, str | None]:
    """``name[:port]`` -> (name, port text or None); IPv6 must be in brackets."""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise ValueError("an IPv6 address without its closing ]")
        name, rest = value[: end + 1], value[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError("text after the IPv6 address")
        return name, rest[1:] if rest else None
    if value.count(":") > 1:
        raise ValueError("an IPv6 address must be written in brackets, like [::1]")
    name, colon, port = value.partition(":")
    return name, port if colon else None


def parse_host_header(value: str) -> HostHeader | None:
    """The Host header as (name, port), or None when it is not exactly ``host[:port]``."""
    value = value.lower()
    if not value or len(value) > 300:
        return None
    try:
        name, port_text = _split_port(value)
    except ValueError:
        return None
    port = None
    if port_text is not None:
        if not _PORT.fullmatch(port_text) or not 0 < int(port_text) <= 65535:
            return None
        port = int(port_text)
    if name.startswith("["):
        if "%" in name:
            return None  # a zone id ("%eth0") names an interface of the client, not us
        try:
            address = ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            return None
        return HostHeader(f"[{address.compressed}]", port)
    if not _NAME.fullmatch(name) or len(name) > 253:
        return None  # userinfo, paths, spaces, empty labels, a trailing dot...
    return HostHeader(name, port)


@dataclass(frozen=True)
class HostPattern:
    """One ``--allowed-hosts`` entry, matched as MLflow does against ``name[:port]``
    (``*`` stands for any text), except that a pattern made of digits, dots and
    ``*`` (``10.*``) only matches IPv4 addresses, never ``10.evil.example``."""

    text: str
    regex: re.Pattern
    ipv4_only: bool

    @classmethod
    def parse(cls, text: str) -> HostPattern:
        value = text.strip().lower()
        if not re.fullmatch(r"[a-z0-9_.*:\[\]-]+", value):
            raise _bad_pattern(text, "not a host name (no scheme, path, user or spaces)")
        try:
            name, port = _split_port(value)
        except ValueError as exc:
            raise _bad_pattern(text, str(exc)) from None
        if name.startswith("["):
            inner = name[1:-1]
            if not inner or not re.fullmatch(r"[0-9a-f:.*]+", inner):
                raise _bad_pattern(text, "not an IPv6 address")
            if "*" not in inner:
                try:
                    name = f"[{ipaddress.IPv6Address(inner).compressed}]"
                except ValueError:
                    raise _bad_pattern(text, "not an IPv6 address") from None
        elif not _PATTERN_NAME.fullmatch(name) or name.endswith("."):
            raise _bad_pattern(text, "not a host name or address")
        if port is not None and port != "*" and not (_PORT.fullmatch(port) and int(port) > 0):
            raise _bad_pattern(text, "the port must be a number or *")
        full = name if port is None else f"{name}:{port}"
        regex = re.compile(".*".join(re.escape(part) for part in full.split("*")))
        return cls(text, regex, bool(_IPV4_PREFIX.fullmatch(name)) and "*" in full)

    def matches(self, host: HostHeader) -> bool:
        if self.ipv4_only and not isinstance(host.ip, ipaddress.IPv4Address):
            return False
        return self.regex.fullmatch(str(host)) is not None


def _bad_pattern(text: str, why: str) -> MinitrackException:
    return MinitrackException(
        f"--allowed-hosts entry {text!r}: {why}. Write host, host:port or host:* "
        "(e.g. tracker.lab.example:5000,*.lab.example,192.168.*,[::1]:*), or * for any host."
    )


@dataclass(frozen=True)
class HostPolicy:
    """The Host headers one server answers. ``patterns`` None means every host."""

    patterns: tuple[HostPattern, ...] | None
    private_any_port: bool = False  # MLflow's default: private IP literals, any port

    @classmethod
    def from_option(cls, allowed_hosts: str) -> HostPolicy:
        """``--allowed-hosts a,b,c`` as MLflow reads it; ``*`` among them allows all."""
        entries = [e.strip() for e in allowed_hosts.split(",") if e.strip()]
        if not entries:
            raise _bad_pattern(allowed_hosts, "no host given")
        if "*" in entries:
            return cls(None)
        return cls(tuple(HostPattern.parse(e) for e in entries))

    @classmethod
    def default(cls, bind_host: str, port: int) -> HostPolicy:
        if not is_network_bind(bind_host):
            names = list(LOOPBACK_NAMES)
            return cls(tuple(_exact(n, port) for n in names))
        patterns = [HostPattern.parse(f"{n}:*") for n in DEFAULT_ANY_PORT_NAMES]
        patterns += [HostPattern.parse(n) for n in DEFAULT_ANY_PORT_NAMES]
        own = parse_host_header(_bracketed(bind_host))
        if own is not None and not is_all_interfaces(bind_host):
            patterns.append(_exact(own.name, port))
        return cls(tuple(patterns), private_any_port=True)

    def allows(self, header: str) -> bool:
        if self.patterns is None:
            return True
        host = parse_host_header(header)
        if host is None:
            return False
        if self.private_any_port and host.ip is not None:
            ip = _ip(str(host.ip))
            if any(ip in network for network in PRIVATE_NETWORKS):
                return True
        return any(p.matches(host) for p in self.patterns)


def _exact(name: str, port: int) -> HostPattern:
    # A browser leaves out the port only when it is HTTP's default.
    return HostPattern.parse(f"{name}:{port}" if port != 80 else name)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


# ---- where the server listens ------------------------------------------------
def bind_addresses(host: str) -> list[tuple[socket.AddressFamily, str]]:
    """Every address ``--host`` stands for: (family, address), IPv4 first.

    Decided by the resolver, not by spelling: ``0``, ``0.0.0.0``, ``::``, ``[::]``
    and ``0000::0`` all come back as an unspecified (all-interfaces) address.
    """
    name = host.strip()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        infos = socket.getaddrinfo(
            name or None, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (OSError, UnicodeError) as exc:
        raise MinitrackException(
            f"--host {host!r} is not an address of this machine ({exc}). Use 127.0.0.1 "
            "to keep the UI private, or 0.0.0.0 to share it on your network."
        ) from None
    found = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and (family, sockaddr[0]) not in found:
            found.append((family, sockaddr[0].split("%")[0]))
    return sorted(found, key=lambda item: item[0] != socket.AF_INET)


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address, with an IPv4-mapped IPv6 one (::ffff:127.0.0.1) as its IPv4 self."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_all_interfaces(host: str) -> bool:
    """Whether ``--host`` means every interface (0.0.0.0, ::, and their other spellings)."""
    return any(_ip(address).is_unspecified for _, address in bind_addresses(host))


def is_network_bind(host: str) -> bool:
    """Whether a server on ``--host`` can be reached from other machines: the one place
    that decides it. Only addresses that are all loopback keep the runs private."""
    return not all(_ip(address).is_loopback for _, address in bind_addresses(host))
