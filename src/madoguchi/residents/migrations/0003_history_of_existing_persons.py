"""Persons loaded before the registry kept history get what a first full-file import gives them: the day
the read-model's record of them begins (住民となった日), 住民状態 and 最終異動 items, and an open household and
address period for residents."""

import unicodedata

from django.db import migrations
from django.utils import timezone


def _address_key(prefecture, city, town, banchi, building):
    place = unicodedata.normalize("NFKC", f"{prefecture}{city}{town}{banchi}")
    room = unicodedata.normalize("NFKC", building)
    return "".join(place.split()) + "|" + "".join(room.split())


def add_history(apps, schema_editor):
    Person = apps.get_model("residents", "Person")
    PersonPeriod = apps.get_model("residents", "PersonPeriod")
    today = timezone.localdate()
    persons = Person.objects.filter(known_from__isnull=True)
    last_id = 0
    while True:
        chunk = list(persons.filter(id__gt=last_id).order_by("id")[:5000])
        if not chunk:
            break
        last_id = chunk[-1].id
        periods = []
        for person in chunk:
            since = person.resident_since or today
            person.status = "1" if person.is_active else "4"
            person.known_from = person.last_changed_on = since
            person.last_change_reason = "00"
            if person.is_active:
                periods.append(
                    PersonPeriod(
                        person_id=person.id,
                        household_id=person.household_id,
                        relationship=person.relationship,
                        address_code=person.address_code,
                        address_key=_address_key(
                            person.prefecture, person.city, person.town, person.banchi, person.building
                        ),
                        valid_from=person.address_since or since,
                    )
                )
        Person.objects.bulk_update(chunk, ["status", "known_from", "last_change_reason", "last_changed_on"])
        PersonPeriod.objects.bulk_create(periods)


class Migration(migrations.Migration):
    dependencies = [("residents", "0002_registry_history")]

    operations = [migrations.RunPython(add_history, migrations.RunPython.noop)]
