"""OpenTelemetry wiring: one tracer provider per service, trace context carried in events."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased


def create_tracer_provider(service_name: str, sample_ratio: float = 1.0) -> TracerProvider:
    """A tracer provider for the service recording ``sample_ratio`` of new traces (a
    caller's decision is followed); OTEL_TRACES_EXPORTER=console prints spans."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    if os.environ.get("OTEL_TRACES_EXPORTER") == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return provider


def current_trace_context() -> dict[str, str]:
    """W3C trace context of the current span, to store in an outgoing event."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def trace_context_attached(carrier: dict[str, str]) -> Iterator[None]:
    """Make the span stored in ``carrier`` current, so a later publish joins its trace."""
    token = otel_context.attach(propagate.extract(carrier)) if carrier else None
    try:
        yield
    finally:
        if token is not None:
            otel_context.detach(token)


def current_trace_id() -> str | None:
    """Hex trace id of the current span, if any."""
    span = trace.get_current_span().get_span_context()
    return format(span.trace_id, "032x") if span.is_valid else None
