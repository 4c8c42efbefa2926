from footprint.event.v1 import event_pb2 as _event_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_UNSPECIFIED: _ClassVar[Outcome]
    OUTCOME_ACCEPTED: _ClassVar[Outcome]
    OUTCOME_REJECTED: _ClassVar[Outcome]

class RejectReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REJECT_REASON_UNSPECIFIED: _ClassVar[RejectReason]
    REJECT_REASON_REQUIRED: _ClassVar[RejectReason]
    REJECT_REASON_INVALID_FORMAT: _ClassVar[RejectReason]
    REJECT_REASON_TOO_LONG: _ClassVar[RejectReason]
    REJECT_REASON_TOO_MANY_PROPERTIES: _ClassVar[RejectReason]
    REJECT_REASON_TOO_LARGE: _ClassVar[RejectReason]
OUTCOME_UNSPECIFIED: Outcome
OUTCOME_ACCEPTED: Outcome
OUTCOME_REJECTED: Outcome
REJECT_REASON_UNSPECIFIED: RejectReason
REJECT_REASON_REQUIRED: RejectReason
REJECT_REASON_INVALID_FORMAT: RejectReason
REJECT_REASON_TOO_LONG: RejectReason
REJECT_REASON_TOO_MANY_PROPERTIES: RejectReason
REJECT_REASON_TOO_LARGE: RejectReason

class IngestRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_event_pb2.Event]
    def __init__(self, events: _Optional[_Iterable[_Union[_event_pb2.Event, _Mapping]]] = ...) -> None: ...

class IngestResponse(_message.Message):
    __slots__ = ("results", "accepted_count", "rejected_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[EventResult]
    accepted_count: int
    rejected_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[EventResult, _Mapping]]] = ..., accepted_count: _Optional[int] = ..., rejected_count: _Optional[int] = ...) -> None: ...

class IngestStreamRequest(_message.Message):
    __slots__ = ("sequence", "events")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    events: _containers.RepeatedCompositeFieldContainer[_event_pb2.Event]
    def __init__(self, sequence: _Optional[int] = ..., events: _Optional[_Iterable[_Union[_event_pb2.Event, _Mapping]]] = ...) -> None: ...

class IngestStreamResponse(_message.Message):
    __slots__ = ("sequence", "results", "accepted_count", "rejected_count")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    results: _containers.RepeatedCompositeFieldContainer[EventResult]
    accepted_count: int
    rejected_count: int
    def __init__(self, sequence: _Optional[int] = ..., results: _Optional[_Iterable[_Union[EventResult, _Mapping]]] = ..., accepted_count: _Optional[int] = ..., rejected_count: _Optional[int] = ...) -> None: ...

class EventResult(_message.Message):
    __slots__ = ("index", "event_id", "outcome", "reject_reason", "field", "message", "clock_clamped")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REJECT_REASON_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CLOCK_CLAMPED_FIELD_NUMBER: _ClassVar[int]
    index: int
    event_id: str
    outcome: Outcome
    reject_reason: RejectReason
    field: str
    message: str
    clock_clamped: bool
    def __init__(self, index: _Optional[int] = ..., event_id: _Optional[str] = ..., outcome: _Optional[_Union[Outcome, str]] = ..., reject_reason: _Optional[_Union[RejectReason, str]] = ..., field: _Optional[str] = ..., message: _Optional[str] = ..., clock_clamped: _Optional[bool] = ...) -> None: ...
