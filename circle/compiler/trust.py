"""Options only a trusted repository may use: they reach the host or its network.

`privileged`, host-path `volumes`, `devices`, `network_mode`, `dns`, `dns_search` and
`extra_hosts` on any step, service or clone step of an untrusted repository are lint errors.
"""
from __future__ import annotations

import logging

from circle.compiler.model import StepDef
from circle.compiler.values import Reader

log = logging.getLogger(__name__)

HOST_OPTIONS = ("devices", "network_mode", "dns", "dns_search", "extra_hosts")


def check_trust(steps: list[StepDef], reader: Reader) -> None:
    """Report every trusted-only option used by `steps`."""
    for step in steps:
        _check_step(step, reader)


def is_host_volume(volume: str) -> bool:
    """Return whether `volume` (SOURCE:TARGET[:MODE]) mounts a path of the host."""
    source, sep, _ = volume.partition(":")
    if len(source) == 1 and sep and volume[2:3] in ("\\", "/"):  # a Windows drive letter
        return True
    return bool(sep) and source.startswith(("/", ".", "~", "\\"))


def _check_step(step: StepDef, reader: Reader) -> None:
    """Report the trusted-only options of one step."""
    where = f"{step.kind} `{step.name}`"
    if step.privileged:
        reader.problem(step.option_nodes["privileged"],
                       f"{where} is `privileged`, which only a trusted repository may use")
    host = [v for v in step.volumes if is_host_volume(v)]
    if host:
        reader.problem(step.option_nodes["volumes"], f"{where} mounts host path `{host[0].split(':')[0]}`; "
                                                   "host volumes need a trusted repository")
    for option in HOST_OPTIONS:
        if getattr(step, option):
            reader.problem(step.option_nodes[option],
                           f"{where} sets `{option}`, which only a trusted repository may use")
