"""SBML formulas read without libSBML's AST: the package's one formula evaluator.

SBML L3 infix formulas (``libsbml.formulaToL3String``) are parsed with Python's
:mod:`ast` module and evaluated or searched for the ids they use.  Walking
libSBML's own AST breaks when other SWIG modules (COPASI, libroadrunner's
libSBML) share the process, which turns its node types into opaque pointers;
:func:`math_text` gives the text of a libSBML math element, units left out.
"""
from __future__ import annotations

import ast
import math

from .errors import JakstatInputError

__all__ = ["parse_formula", "formula_ids", "evaluate_formula", "math_text"]

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


def parse_formula(text: str) -> ast.Expression:
    """An SBML L3 infix formula as a Python expression tree (``^`` is power)."""
    try:
        return ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise JakstatInputError(f"initial assignment {text!r} cannot be evaluated by this engine: "
                                f"expected arithmetic and functions such as exp, ln, pow") from None


def formula_ids(tree: ast.AST) -> set[str]:
    """Model ids a formula uses (function names and constants excluded)."""
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree)
            if isinstance(n, ast.Name) and id(n) not in calls and n.id not in _CONSTANTS}


def evaluate_formula(tree: ast.AST, lookup) -> float:
    """Evaluate a tree from :func:`parse_formula`; ``lookup(id)`` gives model values."""
    node = tree.body if isinstance(tree, ast.Expression) else tree
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        return _CONSTANTS[node.id] if node.id in _CONSTANTS else lookup(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return float(_OPERATORS[type(node.op)](evaluate_formula(node.left, lookup), evaluate_formula(node.right, lookup)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = evaluate_formula(node.operand, lookup)
        return -value if isinstance(node.op, ast.USub) else value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
            and not node.keywords):
        return float(_FUNCTIONS[node.func.id](*[evaluate_formula(a, lookup) for a in node.args]))
    raise JakstatInputError(f"initial assignment uses {ast.unparse(node)!r}, which this engine "
                            f"cannot evaluate: expected arithmetic and exp, ln, log, pow, root, "
                            f"sqrt, abs, floor, ceiling, min or max")


def math_text(math_element) -> str:
    """The L3 infix text of a libSBML math element, without the units of its numbers."""
    import libsbml  # the caller holds libSBML objects already; this module needs none itself

    settings = libsbml.L3ParserSettings()
    settings.setParseUnits(False)
    return libsbml.formulaToL3StringWithSettings(math_element, settings)
