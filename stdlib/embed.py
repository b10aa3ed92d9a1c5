#!/usr/bin/env python3
"""Write a C file defining stdlib_source(name): the text of each standard module given."""
import os
import sys

out, inputs = sys.argv[1], sys.argv[2:]
with open(out, 'w') as f:
    f.write('/* Generated from the stdlib sources at build time. Do not edit. */\n')
    f.write('#include <string.h>\n#include "compile.h"\n\n')
    names = []
    for path in inputs:
        name = os.path.splitext(os.path.basename(path))[0]
        names.append(name)
        data = open(path, 'rb').read()
        f.write('static const char std_%s[] =\n' % name)
        for i in range(0, len(data), 64):
            chunk = data[i:i + 64]
            f.write('    "' + ''.join('\\x%02x' % b for b in chunk) + '"\n')
        f.write(';\n\n')
    f.write('const char *stdlib_source(const char *name)\n{\n')
    for name in names:
        f.write('    if (strcmp(name, "%s") == 0)\n        return std_%s;\n' % (name, name))
    f.write('    return NULL;\n}\n')
