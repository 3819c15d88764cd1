"""marshmallow schemas → OpenAPI 3.0 schema objects (JSON Schema subset), collected as named components."""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, missing, validate

TYPES: tuple[tuple[type[fields.Field], dict[str, Any]], ...] = (
    (fields.Boolean, {"type": "boolean"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Number, {"type": "number"}),
    (fields.Email, {"type": "string", "format": "email"}),
    (fields.String, {"type": "string"}),
)


class Components:
    """The named schemas a document refers to; each marshmallow schema (and partial variant) once."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}

    def ref(self, schema: type[Schema] | Schema, *, partial: bool = False) -> dict[str, Any]:
        """Return a $ref to the component of `schema`, converting it on first use."""
        cls = schema if isinstance(schema, type) else type(schema)
        name = cls.__name__.removesuffix("Schema")
        if partial and not name.endswith("Patch"):
            name += "Patch"
        if name not in self.schemas:
            self.schemas[name] = {}  # reserve the name first: schemas may nest themselves
            self.schemas[name] = self.object(cls(), partial=partial)
        return {"$ref": f"#/components/schemas/{name}"}

    def object(self, schema: Schema, *, partial: bool = False) -> dict[str, Any]:
        """Return the object schema of a marshmallow schema instance."""
        properties = {field.data_key or name: self.field(field) for name, field in schema.fields.items()}
        required = sorted(field.data_key or name for name, field in schema.fields.items()
                          if field.required and not partial)
        result: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            result["required"] = required
        if schema.unknown == RAISE:
            result["additionalProperties"] = False
        description = (type(schema).__doc__ or "").strip()
        if description:
            result["description"] = description.splitlines()[0]
        return result

    def field(self, field: fields.Field) -> dict[str, Any]:
        """Return the schema of one field, with its validators and flags."""
        result = self._type(field)
        for validator in _validators(field):
            result.update(_constraint(validator, result.get("type")))
        if field.allow_none:
            result["nullable"] = True
        if field.dump_only:
            result["readOnly"] = True
        if field.load_only:
            result["writeOnly"] = True
        default = field.load_default() if callable(field.load_default) else field.load_default
        if default is not missing and not field.dump_only:
            result["default"] = default
        metadata = dict(field.metadata)
        result.update(metadata.pop("openapi", {}))
        result.update({k: v for k, v in metadata.items() if k in ("description", "enum", "example")})
        if "$ref" in result and len(result) > 1:  # OpenAPI 3.0 ignores keywords beside $ref
            result = {"allOf": [{"$ref": result.pop("$ref")}], **result}
        return result

    def _type(self, field: fields.Field) -> dict[str, Any]:
        """Return the type part of a field's schema."""
        if isinstance(field, fields.Nested):
            return self.ref(field.schema)
        if isinstance(field, fields.List):
            return {"type": "array", "items": self.field(field.inner)}
        if isinstance(field, fields.Dict):
            values = field.value_field
            return {"type": "object", "additionalProperties": self.field(values) if values else True}
        for kind, schema in TYPES:
            if isinstance(field, kind):
                return dict(schema)
        return {}


def _validators(field: fields.Field) -> list[Any]:
    """Return a field's validators."""
    return list(getattr(field, "validators", []) or [])


def _constraint(validator: Any, kind: str | None) -> dict[str, Any]:
    """Translate one marshmallow validator into schema keywords."""
    if isinstance(validator, validate.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, validate.Range):
        return {k: v for k, v in (("minimum", validator.min), ("maximum", validator.max)) if v is not None}
    if isinstance(validator, validate.Length):
        low, high = ("minItems", "maxItems") if kind == "array" else ("minLength", "maxLength")
        return {k: v for k, v in ((low, validator.min), (high, validator.max)) if v is not None}
    if isinstance(validator, validate.Regexp):
        return {"pattern": validator.regex.pattern}
    return {}
