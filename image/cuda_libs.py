#!/usr/bin/env python3
"""Where torch's pip CUDA libraries are, so that the dynamic loader finds them by name.

torch loads cuBLAS and cuDNN from its nvidia-* wheels through its own RPATH. CTranslate2
(faster-whisper, WhisperX) does not: it dlopen()s "libcublas.so.12" by name (versions built
with cuDNN also open "libcudnn*.so.9"). The GPU image has no other copy of these libraries
(its base is the small CUDA "base" flavour), so the build writes their folders into
/etc/ld.so.conf.d and runs ldconfig: one copy, the versions torch was built with, found by
every process whatever its LD_LIBRARY_PATH.

    python cuda_libs.py                     print the folders
    python cuda_libs.py --write FILE        write them as an ld.so.conf.d file
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

# (pip package folder, a library that must be in it): what CTranslate2 opens by name.
LIBRARIES = (("nvidia.cublas", "libcublas.so.12"), ("nvidia.cudnn", "libcudnn.so.9"))


def library_dirs() -> list[Path]:
    """The lib/ folders of the nvidia-* wheels that are installed (none on the CPU image)."""
    found = []
    for package, library in LIBRARIES:
        try:
            spec = importlib.util.find_spec(package)
        except ModuleNotFoundError:  # the "nvidia" namespace itself is absent
            spec = None
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            folder = Path(location) / "lib"
            if (folder / library).is_file():
                found.append(folder)
                break
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, metavar="FILE",
                        help="write the folders to this ld.so.conf.d file")
    parser.add_argument("--require", action="store_true",
                        help="fail unless every library is found (the GPU image)")
    args = parser.parse_args(argv)

    folders = library_dirs()
    if args.require and len(folders) != len(LIBRARIES):
        wanted = ", ".join(library for _, library in LIBRARIES)
        print(f"cuda_libs: expected {wanted} in torch's nvidia-* wheels, found only in: "
              f"{', '.join(map(str, folders)) or 'none'}", file=sys.stderr)
        return 1
    text = "".join(f"{folder}\n" for folder in folders)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
