"""Local and test infrastructure (Kafka + MongoDB-wire store) for Patronage."""

from .ferretdb import LocalFerretDB, start_local_ferretdb
from .kafka import LocalKafka, start_local_kafka
from .postgres import LocalPostgres, start_local_postgres
from .processes import ProcessStartError
from .resolver import Infrastructure, resolve

__all__ = [
    "Infrastructure",
    "LocalFerretDB",
    "LocalKafka",
    "LocalPostgres",
    "ProcessStartError",
    "resolve",
    "start_local_ferretdb",
    "start_local_kafka",
    "start_local_postgres",
]
