"""Django model fields as written in migrations (`models.CharField(max_length=100)`) -> their database column."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .. import ir
from .pyast import UNKNOWN, argument, dotted, last_name, literal
from .sa_types import parsed_type

# Django's PostgreSQL backend column types (django/db/backends/postgresql/base.py `data_types`).
_TYPES: dict[str, str] = {
    "AutoField": "integer", "BigAutoField": "bigint", "SmallAutoField": "smallint", "BinaryField": "bytea",
    "BooleanField": "boolean", "NullBooleanField": "boolean", "DateField": "date",
    "DateTimeField": "timestamp with time zone", "DurationField": "interval", "FloatField": "double precision",
    "IntegerField": "integer", "BigIntegerField": "bigint", "SmallIntegerField": "smallint",
    "PositiveIntegerField": "integer", "PositiveBigIntegerField": "bigint", "PositiveSmallIntegerField": "smallint",
    "IPAddressField": "inet", "GenericIPAddressField": "inet", "JSONField": "jsonb", "TextField": "text",
    "TimeField": "time", "UUIDField": "uuid", "HStoreField": "hstore", "CICharField": "citext",
    "CIEmailField": "citext", "CITextField": "citext", "SearchVectorField": "tsvector",
    "IntegerRangeField": "int4range", "BigIntegerRangeField": "int8range", "DecimalRangeField": "numrange",
    "DateTimeRangeField": "tstzrange", "DateRangeField": "daterange",
}
# varchar fields and their default max_length.
_VARCHAR: dict[str, int | None] = {
    "CharField": None, "EmailField": 254, "SlugField": 50, "URLField": 200, "FileField": 100, "ImageField": 100,
    "FilePathField": 100,
}
_AUTO = {"AutoField", "BigAutoField", "SmallAutoField"}
# Fields whose empty value is '' (Django's `empty_strings_allowed`): when blank=True and NOT NULL without a default,
# the schema editor fills existing rows with '' (django/db/backends/base/schema.py `_effective_default`).
_EMPTY_STRING = {*_VARCHAR, "TextField", "CommaSeparatedIntegerField", "CICharField", "CIEmailField", "CITextField"}
# Fields that Django fills with the current date/time when auto_now or auto_now_add is set.
_AUTO_NOW = {"DateField", "DateTimeField", "TimeField"}
RELATIONS = {"ForeignKey", "OneToOneField", "ParentalKey"}
MANY = {"ManyToManyField", "ParentalManyToManyField", "TaggableManager"}
# Third-party subclasses keep Django's naming (django-mptt TreeForeignKey, django-cms PlaceholderForeignKey,
# sortedm2m SortedManyToManyField): a relation column is `<name>_id`, a many-to-many has no column.
_RELATION_SUFFIXES = ("ForeignKey", "OneToOneField")
_MANY_SUFFIXES = ("ManyToManyField",)


def named_for_strings(cls: str) -> bool:
    """One of Django's string fields, or a third-party field named like them (i18nfield's I18nTextField): a
    subclass, whose empty value is '' as theirs is."""
    return cls in _EMPTY_STRING or cls.endswith(_STRING_SUFFIXES)


_STRING_SUFFIXES = ("TextField", "CharField")


def is_django_class(cls: str) -> bool:
    """One of Django's own fields (or a relation named like them): its column is known from the call alone."""
    return cls in _TYPES or cls in _VARCHAR or cls in ("DecimalField", "ArrayField") or is_relation_class(cls) \
        or is_many_class(cls)


def is_relation_class(cls: str) -> bool:
    return cls in RELATIONS or cls.endswith(_RELATION_SUFFIXES)


def is_many_class(cls: str) -> bool:
    return cls in MANY or cls.endswith(_MANY_SUFFIXES)
NOT_PROVIDED = object()


@dataclass(slots=True)
class FieldInfo:
    """What the migration says about one field: enough to know its column."""

    name: str
    cls: str  # the field class name (CharField, ForeignKey, ...)
    kwargs: dict[str, Any] = field(default_factory=dict)  # literal values; UNKNOWN when not literal
    target: str | None = None  # relations: "app_label.model" (lower case)
    # is_relation / is_many of its class, asked many times per field
    relation: bool = field(init=False, repr=False, compare=False)
    many: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.relation = is_relation_class(self.cls)
        self.many = is_many_class(self.cls)

    @classmethod
    def from_call(cls, name: str, node: ast.expr, app: str, as_class: str | None = None) -> FieldInfo:
        """`as_class`: the Django class the call's own class derives from, read as that one."""
        if not isinstance(node, ast.Call):
            return cls(name, "?")
        kwargs = {k.arg: literal(k.value) for k in node.keywords if k.arg is not None}  # keywords(node), read
        info = cls(name, as_class or last_name(node.func), kwargs)
        if info.relation or info.many:
            info.target = relation_target(argument(node, 0, "to"), app)
        if info.cls == "ArrayField":
            base = argument(node, 0, "base_field")
            info.kwargs["_base"] = FieldInfo.from_call(name, base, app) if base is not None else None
        return info

    @property
    def is_relation(self) -> bool:
        return self.relation

    @property
    def is_many(self) -> bool:
        return self.many

    @property
    def null(self) -> bool:
        return self.kwargs.get("null") is True or self.cls == "NullBooleanField"  # always NULL, whatever it says

    @property
    def primary_key(self) -> bool:
        return self.kwargs.get("primary_key") is True or self.cls in _AUTO

    @property
    def column(self) -> str:
        db_column = self.kwargs.get("db_column")
        if isinstance(db_column, str):
            return db_column
        return f"{self.name}_id" if self.is_relation else self.name

    @property
    def has_default(self) -> bool:
        return "default" in self.kwargs or "db_default" in self.kwargs

    @property
    def indexed(self) -> bool:
        """Django creates an index for it: db_index=True, unique, or a ForeignKey unless db_index=False."""
        db_index = self.kwargs.get("db_index")
        if self.is_relation:
            return db_index is not False
        return db_index is True or self.kwargs.get("unique") is True or self.primary_key

    def db_type(self, target_pk: FieldInfo | None) -> ir.ColumnType | None:
        text = self._type_text(target_pk)
        return parsed_type(text) if text else None

    def _type_text(self, target_pk: FieldInfo | None) -> str | None:
        if self.relation:
            if target_pk is None:
                return None
            return {"AutoField": "integer", "BigAutoField": "bigint", "SmallAutoField": "smallint"}.get(
                target_pk.cls) or target_pk._type_text(None)
        if self.cls in _VARCHAR:
            length = self.kwargs.get("max_length", _VARCHAR[self.cls])
            if length is UNKNOWN:
                return None
            if isinstance(length, str) and length.isdigit():  # max_length="30" (old helpdesk): varchar(%(max_length)s)
                length = int(length)
            return f"varchar({length})" if isinstance(length, int) else "varchar"
        if self.cls == "DecimalField":
            digits, places = self.kwargs.get("max_digits"), self.kwargs.get("decimal_places")
            if isinstance(digits, int) and isinstance(places, int):
                return f"numeric({digits}, {places})"
            return "numeric"
        if self.cls == "ArrayField":
            base = self.kwargs.get("_base")
            inner = base._type_text(None) if isinstance(base, FieldInfo) else None
            return f"{inner}[]" if inner else None
        return _TYPES.get(self.cls)

    def default(self) -> ir.Default | None:
        """The value the column gets for existing rows: the field's default, else Django's effective default."""
        for key in ("db_default", "default"):
            if key in self.kwargs:
                value = self.kwargs[key]
                return _make_default("?" if value is UNKNOWN else repr(value))
        if self.null:
            return None
        if self.kwargs.get("blank") is True and (self.cls in _EMPTY_STRING or self.kwargs.get("_empty_strings") is True):
            return _make_default("''")
        if self.cls in _AUTO_NOW and (self.kwargs.get("auto_now") is True or self.kwargs.get("auto_now_add") is True):
            return _make_default("now()")  # the time the migration runs, the same for every row
        return None

    def column_def(self, target_pk: FieldInfo | None, target_table: str | None) -> ir.ColumnDef:
        """The column: the properties above (column, null, primary_key, indexed, db_type), each read once."""
        kwargs, cls, relation = self.kwargs, self.cls, self.relation
        references = None
        if relation and target_table:
            to_field = kwargs.get("to_field")
            pk_column = to_field if isinstance(to_field, str) else (target_pk.column if target_pk else "id")
            references = ir.ForeignKeyRef(target_table, (pk_column,), None)
        primary_key = kwargs.get("primary_key") is True or cls in _AUTO
        db_column = kwargs.get("db_column")
        db_index = kwargs.get("db_index")
        unique = kwargs.get("unique") is True
        text = self._type_text(target_pk)
        return ir.ColumnDef(name=db_column if isinstance(db_column, str) else f"{self.name}_id" if relation else self.name,
                            type=parsed_type(text) if text else None, nullable=self.null and not primary_key,
                            default=self.default(), primary_key=primary_key, unique=unique or cls == "OneToOneField",
                            indexed=db_index is not False if relation else db_index is True or unique or primary_key,
                            generated=cls in _AUTO, references=references)


def _make_default(text: str) -> ir.Default:
    from .sql.values import make_default

    return make_default(text)


def relation_target(node: ast.expr | None, app: str) -> str | None:
    """`"app.Model"` / `"Model"` / `"self"` / `settings.AUTH_USER_MODEL` -> "app.model" (lower case)."""
    value = literal(node)
    if isinstance(value, str):
        if value == "self":
            return "self"
        return (value if "." in value else f"{app}.{value}").lower()
    name = dotted(node)
    if name.endswith("AUTH_USER_MODEL"):
        return "auth.user"
    if name:  # a model class: models.User / User
        return f"{app}.{name.rsplit('.', 1)[-1]}".lower()
    return None
