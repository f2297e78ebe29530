"""Which grammar a path gets, and loading and caching that grammar and its parsers.

Paths map to grammar names of tree-sitter-language-pack by file name first, then
by extension. Grammars are loaded once per process; parsers are cached per thread
(a ``Parser`` is not shared between threads).
"""

from __future__ import annotations

import threading
from typing import get_args

from tree_sitter import Language, Parser
from tree_sitter_language_pack import SupportedLanguage, get_language

_SUPPORTED: frozenset[str] = frozenset(get_args(SupportedLanguage))

# "grammar: extensions; ..." and "grammar: file names; ..." (grammar names as in the pack).
_EXTENSION_TABLE = """
python: py pyi pyw; javascript: js mjs cjs jsx; typescript: ts mts cts; tsx: tsx; go: go
rust: rs; java: java; c: c h; cpp: cc cpp cxx c++ hpp hh hxx h++ ipp tpp inl; csharp: cs
ruby: rb rake gemspec ru; php: php phtml; kotlin: kt kts; swift: swift; scala: scala sc
lua: lua; luau: luau; bash: sh bash; fish: fish; powershell: ps1 psm1 psd1; perl: pl pm
r: r; julia: jl; dart: dart; elixir: ex exs; erlang: erl hrl; haskell: hs; ocaml: ml
ocaml_interface: mli; fsharp: fs fsx; fsharp_signature: fsi; clojure: clj cljs cljc edn
elisp: el; commonlisp: lisp cl; scheme: scm ss; racket: rkt; fennel: fnl; janet: janet
nim: nim; zig: zig; verilog: v sv svh; vhdl: vhd vhdl; d: d; odin: odin; hare: ha
gleam: gleam; elm: elm; purescript: purs; haxe: hx; hack: hack; groovy: groovy gradle
objc: m mm; cuda: cu cuh; glsl: glsl vert frag geom comp; hlsl: hlsl; wgsl: wgsl; ispc: ispc
solidity: sol; cairo: cairo; terraform: tf tfvars; hcl: hcl; nix: nix; proto: proto
thrift: thrift; graphql: graphql gql; sql: sql; json: json jsonc; yaml: yaml yml; toml: toml
ini: ini; properties: properties; xml: xml xsd xsl xslt svg plist; html: html htm xhtml
css: css; scss: scss; vue: vue; svelte: svelte; astro: astro; markdown: md markdown
rst: rst; latex: tex sty cls; bibtex: bib; typst: typ; org: org; csv: csv; tsv: tsv
psv: psv; cmake: cmake; make: mk mak; dockerfile: dockerfile; gn: gn gni; ninja: ninja
starlark: bzl bazel star; kdl: kdl; ron: ron; po: po pot; linkerscript: ld; llvm: ll
asm: s asm; ada: ada adb ads; fortran: f f90 f95 f03 f08 for; cobol: cob cbl
pascal: pas dpr; tcl: tcl; vim: vim; jsonnet: jsonnet libsonnet; rego: rego; prisma: prisma
smithy: smithy; capnp: capnp; dtd: dtd; wat: wat; wast: wast; twig: twig; heex: heex
embeddedtemplate: erb eex ejs; gdscript: gd; qmljs: qml; bicep: bicep; pony: pony
puppet: pp; sparql: sparql rq; tablegen: td; ungrammar: ungram; re2c: re
beancount: beancount; bitbake: bb bbappend bbclass; yuck: yuck; mermaid: mmd; pem: pem
agda: agda; actionscript: as; arduino: ino; apex: apex trigger; clarity: clar; smali: smali
squirrel: nut; uxntal: tal; magik: magik; pgn: pgn; gitattributes: gitattributes
gitignore: gitignore
"""
_FILENAME_TABLE = """
make: Makefile makefile GNUmakefile; dockerfile: Dockerfile Containerfile
cmake: CMakeLists.txt; ruby: Gemfile Rakefile Guardfile Vagrantfile Podfile
starlark: BUILD WORKSPACE BUCK Tiltfile; meson: meson.build meson_options.txt
gitignore: .gitignore .dockerignore .npmignore; gitattributes: .gitattributes
gitcommit: COMMIT_EDITMSG; gomod: go.mod; gosum: go.sum; requirements: requirements.txt
pymanifest: MANIFEST.in; readline: .inputrc; kconfig: Kconfig; vim: .vimrc _vimrc
bash: .bashrc .bash_profile .profile .zshrc
"""


def _table(src: str) -> dict[str, str]:
    return {
        key: lang
        for entry in src.replace("\n", ";").split(";")
        for lang, _, keys in [entry.strip().partition(": ")]
        for key in keys.split()
    }


_EXTENSIONS = _table(_EXTENSION_TABLE)
_FILENAMES = _table(_FILENAME_TABLE)


def language_for_path(path: str) -> str | None:
    """The grammar name for a path, by file name or extension; None when there is none."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    lang = _FILENAMES.get(name)
    if lang is None:
        if name.startswith(("Dockerfile.", "Containerfile.")):
            return "dockerfile"
        if name.startswith("requirements") and name.endswith(".txt"):
            return "requirements"
        _, dot, ext = name.rpartition(".")
        lang = _EXTENSIONS.get(ext.lower()) if dot else None
    return lang if lang in _SUPPORTED else None


_lock = threading.Lock()
_languages: dict[str, Language] = {}
_local = threading.local()


def _language(name: str) -> Language | None:
    lang = _languages.get(name)
    if lang is None and name in _SUPPORTED:
        with _lock:
            lang = _languages.get(name)
            if lang is None:
                try:
                    lang = get_language(name)  # type: ignore[arg-type]
                except Exception:  # a grammar that fails to load means plain-text chunks
                    return None
                _languages[name] = lang
    return lang


def _parser(name: str, lang: Language) -> Parser:
    parsers: dict[str, Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(name)
    if parser is None:
        parser = parsers[name] = Parser(lang)
    return parser
