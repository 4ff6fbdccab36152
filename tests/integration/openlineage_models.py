"""Validate pyflow's OpenLineage events against the openlineage-python client's models.

Each event (plain JSON as pyflow writes it) is rebuilt as the client's attrs classes
(``RunEvent``, ``Run``, ``Job``, datasets and facets), which check required fields, UUIDs and
times and set each facet's ``_schemaURL``; serialized back with the client's ``Serde``, it must
give exactly the event (the client adds only its empty-list defaults).
"""

from __future__ import annotations

from typing import Any

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    error_message_run,
    job_type_job,
    parent_run,
    schema_dataset,
    sql_job,
)
from openlineage.client.serde import Serde


def _facet(name: str, data: dict[str, Any]) -> Any:
    fields = {k: v for k, v in data.items() if not k.startswith("_")}
    producer = data["_producer"]
    if name == "parent":
        return parent_run.ParentRunFacet(
            run=parent_run.Run(runId=fields["run"]["runId"]),
            job=parent_run.Job(namespace=fields["job"]["namespace"], name=fields["job"]["name"]),
            producer=producer,
        )
    if name == "schema":
        return schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(**f) for f in fields["fields"]], producer=producer
        )
    if name == "columnLineage":
        return column_lineage_dataset.ColumnLineageDatasetFacet(
            fields={
                column: column_lineage_dataset.Fields(
                    inputFields=[column_lineage_dataset.InputField(**i) for i in spec["inputFields"]]
                )
                for column, spec in fields["fields"].items()
            },
            producer=producer,
        )
    classes = {
        "jobType": job_type_job.JobTypeJobFacet,
        "sql": sql_job.SQLJobFacet,
        "errorMessage": error_message_run.ErrorMessageRunFacet,
    }
    return classes[name](**fields, producer=producer)


def _facets(data: dict[str, Any]) -> dict[str, Any]:
    return {name: _facet(name, f) for name, f in data.items()}


def to_model(event: dict[str, Any]) -> RunEvent:
    """The event as the client's ``RunEvent`` (raises when a field is missing or invalid)."""
    allowed = {"eventTime", "producer", "schemaURL", "eventType", "run", "job", "inputs", "outputs"}
    assert set(event) <= allowed, set(event) - allowed
    return RunEvent(
        eventType=RunState(event["eventType"]),
        eventTime=event["eventTime"],
        producer=event["producer"],
        run=Run(runId=event["run"]["runId"], facets=_facets(event["run"]["facets"])),
        job=Job(
            namespace=event["job"]["namespace"],
            name=event["job"]["name"],
            facets=_facets(event["job"]["facets"]),
        ),
        inputs=[
            InputDataset(d["namespace"], d["name"], facets=_facets(d["facets"])) for d in event["inputs"]
        ],
        outputs=[
            OutputDataset(d["namespace"], d["name"], facets=_facets(d["facets"])) for d in event["outputs"]
        ],
    )


def _same(ours: Any, theirs: Any, where: str) -> None:
    if isinstance(ours, dict):
        assert isinstance(theirs, dict), where
        assert set(ours) <= set(theirs), f"{where}: keys the client does not know: {set(ours) - set(theirs)}"
        for key, value in theirs.items():
            if key in ours:
                _same(ours[key], value, f"{where}/{key}")
            else:
                assert value in ([], {}), f"{where}/{key}: the client requires {value!r}"
    elif isinstance(ours, list):
        assert isinstance(theirs, list) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _same(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def validate(event: dict[str, Any]) -> None:
    """Assert that ``event`` is a valid OpenLineage RunEvent, exactly as the client writes one."""
    model = to_model(event)
    _same(event, Serde.to_dict(model), "event")
