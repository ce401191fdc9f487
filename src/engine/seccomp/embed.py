#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Embed a file in a C source as a NUL-terminated byte array, so the engine
# carries its built-in seccomp profile without reading anything at run time.
#   embed.py INPUT OUTPUT SYMBOL
# defines `const char SYMBOL[]` (the bytes, then a NUL) and
# `const size_t SYMBOL_len` (without the NUL).
import sys

src, dst, sym = sys.argv[1:4]
data = open(src, "rb").read()
if b"\0" in data:
    sys.exit(f"{src}: contains a NUL byte")
out = [
    f"/* Generated from {src.rsplit('/', 1)[-1]} by embed.py: do not edit. */",
    "#include <stddef.h>",
    f"extern const char {sym}[];",
    f"extern const size_t {sym}_len;",
    f"const char {sym}[] = {{",
]
for i in range(0, len(data), 16):
    out.append("  " + ", ".join(f"0x{b:02x}" for b in data[i : i + 16]) + ",")
out.append("  0x00,")
out.append("};")
out.append(f"const size_t {sym}_len = {len(data)};")
open(dst, "w").write("\n".join(out) + "\n")
