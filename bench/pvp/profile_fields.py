# Reads a TRex STL profile without TRex: parses it with ast (never runs it) and prints, as JSON,
# what bench:pvp-check verifies: its imports, module constants, classes and their methods'
# arguments, top-level functions, and every name it reads that nothing defines.
import ast
import builtins
import json
import sys


def literal(node):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def main(path):
    tree = ast.parse(open(path).read(), filename=path)
    imported = {}
    constants = {}
    classes = {}
    functions = []
    defined = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported[alias.asname or alias.name] = node.module
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
    defined.update(imported)
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            constants[node.targets[0].id] = literal(node.value)
        elif isinstance(node, ast.FunctionDef):
            functions.append(node.name)
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = {
                item.name: {
                    "args": [a.arg for a in item.args.args],
                    "defaults": [literal(d) for d in item.args.defaults],
                    "kwargs": item.args.kwarg is not None,
                }
                for item in node.body
                if isinstance(item, ast.FunctionDef)
            }
    undefined = sorted(
        {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - defined
    )
    calls = sorted({n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)})
    print(json.dumps({"imported": imported, "constants": constants, "classes": classes,
                      "functions": functions, "undefined": undefined, "calls": calls}))


main(sys.argv[1])
