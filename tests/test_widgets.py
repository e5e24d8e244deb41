from apps.web.widgets import RENDERERS
from engine.schema.fieldtypes import FIELD_TYPES


def test_every_field_type_has_a_widget():
    assert set(RENDERERS) == set(FIELD_TYPES)
