"""Reading a profile's files: each YAML file parsed and validated by its model, every problem kept
with its file, line and key path (the loader raises them together)."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.profile.problems import breadcrumbs, problems_from_validation
from engine.profile.inherit import merged_file
from engine.profile.yamlfile import YamlDocument, YamlSyntaxError, load_yaml
from engine.kernel.errors import ConfigProblem



class FileReader:
    def __init__(self, root: Path, shown_root: str, sources: dict[str, list[tuple[Path, str]]] | None = None):
        self.root = root
        self.shown_root = shown_root
        # a profile that extends another: each file's copies along the chain, base first
        self.sources = sources or {}
        self.problems: list[ConfigProblem] = []
        self.docs: dict[str, YamlDocument] = {}
        self.models: dict[str, type[BaseModel]] = {}
        self.objects: dict[str, BaseModel] = {}
        # (folder, id) of files that failed to load: references to them are not reported again
        self.broken: set[tuple[str, str]] = set()

    def shown(self, rel: str) -> str:
        return f"{self.shown_root.rstrip('/')}/{rel}" if self.shown_root else rel

    def add(self, rel: str, path: tuple, message: str) -> None:
        doc = self.docs.get(rel)
        model = self.models.get(rel)
        crumbs = tuple(breadcrumbs(model, doc.data, path)) if doc and model else ()
        file = doc.file_of(path, self.shown(rel)) if doc else self.shown(rel)
        self.problems.append(ConfigProblem(file, doc.line_of(path) if doc else None, crumbs,
                                           message + self.merged_from(rel, file)))

    def merged_from(self, rel: str, file: str) -> str:
        """For a file merged through a chain: the other files it is made of, so the message
        leads to the value's file and to what it overrides or inherits."""
        copies = [shown for _, shown in self.sources.get(rel, ())]
        others = [shown for shown in copies if shown != file]
        if others:
            return f" (merged with {', '.join(others)})"
        if copies and copies[-1] != self.shown(rel):  # the file is the base's alone
            return f" (inherited by {self.shown_root})"
        return ""

    def read(self, rel: str, model: type[BaseModel]) -> BaseModel | None:
        try:
            doc = merged_file(self.sources[rel]).document() if rel in self.sources else load_yaml(self.root / rel)
        except YamlSyntaxError as exc:
            self.problems.append(ConfigProblem(exc.file or self.shown(rel), exc.line, (), exc.message))
            return None
        except UnicodeDecodeError:
            self.problems.append(ConfigProblem(self.shown(rel), None, (), "not UTF-8 text"))
            return None
        self.docs[rel] = doc
        self.models[rel] = model
        if not isinstance(doc.data, dict):
            kind = "empty" if doc.data is None else f"a {type(doc.data).__name__}"
            self.problems.append(ConfigProblem(
                self.shown(rel), 1, (), f"expected a mapping of keys ({model.__name__}); the file is {kind}"))
            return None
        self.check_duplicate_ids(rel, doc.data, ())
        try:
            obj = model.model_validate(doc.data)
        except ValidationError as exc:
            for problem in problems_from_validation(exc, model, doc, self.shown(rel)):
                self.problems.append(dataclasses.replace(
                    problem, message=problem.message + self.merged_from(rel, problem.file)))
            return None
        self.objects[rel] = obj
        return obj

    def check_duplicate_ids(self, rel: str, value: Any, path: tuple) -> None:
        """Any list of objects with ids must not repeat an id (fields, options, townships ...)."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.check_duplicate_ids(rel, item, path + (key,))
        elif isinstance(value, list):
            first_line: dict[Any, int] = {}
            for i, item in enumerate(value):
                if isinstance(item, dict) and "id" in item and isinstance(item["id"], (str, int)):
                    here = path + (i,)
                    if item["id"] in first_line:
                        self.add(rel, here + ("id",),
                                 f"duplicate id {item['id']!r} (first at line {first_line[item['id']]})")
                    else:
                        first_line[item["id"]] = self.docs[rel].line_of(here) or 0
                self.check_duplicate_ids(rel, item, path + (i,))
