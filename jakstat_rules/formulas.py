"""SBML formulas read without libSBML's AST: the package's one formula evaluator.

SBML L3 infix formulas (``libsbml.formulaToL3String``) are parsed with Python's
:mod:`ast` module and evaluated or searched for the ids they use: arithmetic
and the usual functions (initial assignments), relations, logic
(``&&``, ``||``, ``!``, ``xor``), ``piecewise`` and the model time (event
triggers, priorities and assignments).  Walking
libSBML's own AST breaks when other SWIG modules (COPASI, libroadrunner's
libSBML) share the process, which turns its node types into opaque pointers;
:func:`math_text` gives the text of a libSBML math element, units left out.

Long and deep formulas
    :func:`evaluate_formula` walks the tree with its own stack, so a sum of
    thousands of terms (libSBML writes an n-ary ``plus`` as ``a + b + ...``,
    which Python parses into nested binary nodes) is no recursion.
    :func:`math_depth` measures every MathML formula of an SBML document
    without building a tree; the engine refuses a model whose formulas nest
    deeper than :data:`MAX_MATH_DEPTH` before libroadrunner compiles it
    (libroadrunner turns an n-ary operation into nested binary ones and
    compiles them recursively).
"""
from __future__ import annotations

import ast
import math
import re
import sys
import xml.parsers.expat

from .errors import JakstatInputError

__all__ = ["parse_formula", "formula_ids", "evaluate_formula", "math_text", "math_depth",
           "read_expanded", "MAX_MATH_DEPTH"]

#: Deepest formula a model may hold, as :func:`math_depth` counts: a sum of 5001 terms.
#: libroadrunner 2.10 compiles a sum of 5000 terms in about 20 s (10 000 terms: 84 s, 740 MB).
MAX_MATH_DEPTH = 5000

_FUNCTIONS = {"exp": math.exp, "ln": math.log, "log10": math.log10, "sqrt": math.sqrt,
              "abs": abs, "floor": math.floor, "ceil": math.ceil, "ceiling": math.ceil,
              "pow": pow, "power": pow, "root": lambda n, x: x ** (1.0 / n),
              "log": lambda *a: math.log10(a[0]) if len(a) == 1 else math.log(a[1], a[0]),
              "min": min, "max": max}
_CONSTANTS = {"pi": math.pi, "exponentiale": math.e, "time": 0.0, "avogadro": 6.02214076e23,
              "true": 1.0, "false": 0.0}
_OPERATORS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
              ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
              ast.Pow: lambda a, b: a ** b}
#: Relations and logic (event triggers): true is 1.0, false 0.0.
_RELATIONS = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b,
              ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
              ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b}
_LOGIC = {"xor": lambda *a: float(sum(bool(x) for x in a) % 2 == 1),
          "piecewise": lambda *a: _piecewise(a)}


def _piecewise(args: tuple) -> float:
    """SBML ``piecewise(value1, condition1, ..., [otherwise])``."""
    for k in range(0, len(args) - 1, 2):
        if args[k + 1]:
            return float(args[k])
    if len(args) % 2:
        return float(args[-1])
    raise JakstatInputError("a piecewise formula has no true condition and no otherwise value: "
                            "expected an otherwise value")


def _short(text: str) -> str:
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


def parse_formula(text: str) -> ast.Expression:
    """An SBML L3 infix formula as a Python expression tree (``^`` is power).

    Raises
    ------
    JakstatInputError
        For text Python cannot parse, or nesting deeper than Python's parser
        allows (200 parentheses; operations :data:`MAX_MATH_DEPTH` deep are parsed).
    """
    limit = sys.getrecursionlimit()
    try:
        # Python builds the tree of a + b + ... recursively, within the recursion limit:
        # room for a formula of MAX_MATH_DEPTH (a deeper one raises RecursionError)
        sys.setrecursionlimit(max(limit, MAX_MATH_DEPTH + 1000))
        # SBML L3 infix logic (libSBML writes and/or/not as &&, ||, !) as Python's
        python = re.sub(r"!(?!=)", " not ", text.replace("&&", " and ").replace("||", " or "))
        return ast.parse(python.replace("^", "**"), mode="eval")
    except (RecursionError, MemoryError):
        why = "nested too deep"
    except SyntaxError as exc:
        if "too many nested parentheses" not in str(exc):
            raise JakstatInputError(f"initial assignment {_short(text)!r} cannot be evaluated by "
                                    f"this engine: expected arithmetic and functions such as exp, "
                                    f"ln, pow") from None
        why = "nested in more than 200 parentheses"
    finally:
        sys.setrecursionlimit(limit)
    raise JakstatInputError(f"initial assignment {_short(text)!r} is {why} for this engine's "
                            f"parser: expected a formula nested less deep (sums and products "
                            f"of up to {MAX_MATH_DEPTH + 1} terms are parsed)")


def formula_ids(tree: ast.AST) -> set[str]:
    """Model ids a formula uses (function names and constants excluded)."""
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree)
            if isinstance(n, ast.Name) and id(n) not in calls and n.id not in _CONSTANTS}


def _operands(node: ast.AST) -> list[ast.AST]:
    """The operands of a node the evaluator knows, in order; raises for any other node."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return []
    if isinstance(node, ast.Name):
        return []
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return [node.operand]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return [node.operand]
    if isinstance(node, ast.BoolOp):
        return list(node.values)
    if isinstance(node, ast.Compare) and all(type(op) in _RELATIONS for op in node.ops):
        return [node.left, *node.comparators]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and (node.func.id in _FUNCTIONS or node.func.id in _LOGIC) and not node.keywords):
        return list(node.args)
    try:
        text = _short(ast.unparse(node))
    except RecursionError:
        text = type(node).__name__
    raise JakstatInputError(f"initial assignment uses {text!r}, which this engine cannot "
                            f"evaluate: expected arithmetic, relations, logic, piecewise and exp, "
                            f"ln, log, pow, root, sqrt, abs, floor, ceiling, min or max")


def _apply(node: ast.AST, args: list[float], lookup, time: float) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id == "time":
            return time
        return _CONSTANTS[node.id] if node.id in _CONSTANTS else lookup(node.id)
    if isinstance(node, ast.BinOp):
        return float(_OPERATORS[type(node.op)](*args))
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return float(not args[0])
        return -args[0] if isinstance(node.op, ast.USub) else args[0]
    if isinstance(node, ast.BoolOp):
        return float(all(args) if isinstance(node.op, ast.And) else any(args))
    if isinstance(node, ast.Compare):
        return float(all(_RELATIONS[type(op)](a, b)
                         for op, a, b in zip(node.ops, args[:-1], args[1:])))
    if node.func.id in _LOGIC:
        return float(_LOGIC[node.func.id](*args))
    return float(_FUNCTIONS[node.func.id](*args))


def evaluate_formula(tree: ast.AST, lookup, time: float = 0.0) -> float:
    """Evaluate a tree from :func:`parse_formula`; ``lookup(id)`` gives model values.

    ``time`` is the value of the model time (0 for initial assignments).  Relations
    and logic (``a >= b``, ``&&``, ``||``, ``!``, ``xor``, ``piecewise``) give 1.0
    for true and 0.0 for false.

    Iterative (its own stack): the depth of the tree does not matter.

    Raises
    ------
    JakstatInputError
        For a node other than numbers, ids, arithmetic and the known functions.
    """
    root = tree.body if isinstance(tree, ast.Expression) else tree
    values: list[float] = []
    stack: list[tuple[ast.AST, list[ast.AST] | None]] = [(root, None)]
    while stack:
        node, operands = stack.pop()
        if operands is None:                     # first visit: operands first, then the node
            operands = _operands(node)
            stack.append((node, operands))
            stack.extend((child, None) for child in reversed(operands))
            continue
        args = values[len(values) - len(operands):] if operands else []
        del values[len(values) - len(operands):]
        values.append(_apply(node, args, lookup, time))
    return values[0]


#: MathML elements whose children are operands (each adds levels) and wrappers of one
#: operand (``bvar``, ``degree``, ``logbase``, ``semantics``; ``math`` itself: no level).
_CONTAINERS = {"apply", "piecewise", "piece", "otherwise", "lambda"}
_WRAPPERS = {"math", "bvar", "degree", "logbase", "semantics"}


def math_depth(sbml: str) -> tuple[int, str]:
    """The deepest formula of an SBML document: (depth, which element holds it).

    Depth as libroadrunner compiles it: an operation of *n* arguments (an
    n-ary sum, a piecewise of *n* pieces) counts *n* - 1 levels, at least 1,
    on top of its deepest argument.  Read with expat, without building a
    tree, so any depth is measured.  The element is named by its SBML tag and
    id, symbol or variable (``initialAssignment 'total'``).
    """
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    owners: list[str] = []              # SBML elements around the current one
    frames: list[list[int]] = []        # per open MathML container: [children, deepest child]
    in_math = [0]
    best = [0, ""]

    def start(name: str, attrs: dict) -> None:
        tag = name.rsplit(" ", 1)[-1]
        if tag == "math":
            in_math[0] += 1
        if in_math[0]:
            if frames:
                frames[-1][0] += 1
            if tag in _CONTAINERS or tag in _WRAPPERS:
                frames.append([0, 0])
            return
        ident = attrs.get("id") or attrs.get("symbol") or attrs.get("variable") or ""
        owners.append(f"{tag} {ident!r}" if ident else tag)

    def end(name: str) -> None:
        tag = name.rsplit(" ", 1)[-1]
        if not in_math[0]:
            owners.pop()
            return
        if tag in _CONTAINERS or tag in _WRAPPERS:
            children, deepest = frames.pop()
            arguments = children - 1 if tag == "apply" else children
            depth = deepest + (max(1, arguments - 1) if tag in _CONTAINERS else 0)
            if frames:
                frames[-1][1] = max(frames[-1][1], depth)
            elif depth > best[0]:
                where = next((o for o in reversed(owners) if "'" in o), owners[-1] if owners else "")
                best[:] = [depth, where]
        if tag == "math":
            in_math[0] -= 1

    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(sbml.encode() if isinstance(sbml, str) else sbml, True)
    except xml.parsers.expat.ExpatError as exc:
        raise JakstatInputError(f"the SBML model is not well-formed XML ({exc}): expected a "
                                f"valid SBML model") from None
    return best[0], best[1]


def math_text(math_element) -> str:
    """The L3 infix text of a libSBML math element, without the units of its numbers."""
    import libsbml  # the caller holds libSBML objects already; this module needs none itself

    settings = libsbml.L3ParserSettings()
    settings.setParseUnits(False)
    return libsbml.formulaToL3StringWithSettings(math_element, settings)


def read_expanded(sbml: str):
    """The libSBML document of ``sbml`` with its function definitions expanded into the
    formulas that call them (:func:`evaluate_formula` knows no user functions)."""
    import libsbml

    document = libsbml.readSBMLFromString(sbml)
    model = document.getModel()
    if model is not None and model.getNumFunctionDefinitions():
        expand = libsbml.ConversionProperties()
        expand.addOption("expandFunctionDefinitions", True)
        document.convert(expand)
    return document
