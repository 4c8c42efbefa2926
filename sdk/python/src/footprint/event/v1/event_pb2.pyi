import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeviceClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEVICE_CLASS_UNSPECIFIED: _ClassVar[DeviceClass]
    DEVICE_CLASS_DESKTOP: _ClassVar[DeviceClass]
    DEVICE_CLASS_MOBILE: _ClassVar[DeviceClass]
    DEVICE_CLASS_TABLET: _ClassVar[DeviceClass]
    DEVICE_CLASS_BOT: _ClassVar[DeviceClass]
    DEVICE_CLASS_OTHER: _ClassVar[DeviceClass]
DEVICE_CLASS_UNSPECIFIED: DeviceClass
DEVICE_CLASS_DESKTOP: DeviceClass
DEVICE_CLASS_MOBILE: DeviceClass
DEVICE_CLASS_TABLET: DeviceClass
DEVICE_CLASS_BOT: DeviceClass
DEVICE_CLASS_OTHER: DeviceClass

class Event(_message.Message):
    __slots__ = ("event_id", "site_id", "name", "occurred_at", "received_at", "visitor_id", "user_id", "session_id", "page", "http_method", "http_status", "duration_us", "client", "utm", "properties", "enrichment")
    class PropertiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    VISITOR_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    HTTP_METHOD_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    DURATION_US_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    UTM_FIELD_NUMBER: _ClassVar[int]
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    ENRICHMENT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    site_id: str
    name: str
    occurred_at: _timestamp_pb2.Timestamp
    received_at: _timestamp_pb2.Timestamp
    visitor_id: str
    user_id: str
    session_id: str
    page: Page
    http_method: str
    http_status: int
    duration_us: int
    client: ClientContext
    utm: Utm
    properties: _containers.ScalarMap[str, str]
    enrichment: Enrichment
    def __init__(self, event_id: _Optional[str] = ..., site_id: _Optional[str] = ..., name: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., visitor_id: _Optional[str] = ..., user_id: _Optional[str] = ..., session_id: _Optional[str] = ..., page: _Optional[_Union[Page, _Mapping]] = ..., http_method: _Optional[str] = ..., http_status: _Optional[int] = ..., duration_us: _Optional[int] = ..., client: _Optional[_Union[ClientContext, _Mapping]] = ..., utm: _Optional[_Union[Utm, _Mapping]] = ..., properties: _Optional[_Mapping[str, str]] = ..., enrichment: _Optional[_Union[Enrichment, _Mapping]] = ...) -> None: ...

class Page(_message.Message):
    __slots__ = ("url", "path", "title", "referrer")
    URL_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    REFERRER_FIELD_NUMBER: _ClassVar[int]
    url: str
    path: str
    title: str
    referrer: str
    def __init__(self, url: _Optional[str] = ..., path: _Optional[str] = ..., title: _Optional[str] = ..., referrer: _Optional[str] = ...) -> None: ...

class ClientContext(_message.Message):
    __slots__ = ("user_agent", "locale", "screen_width", "screen_height", "time_zone", "ip")
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    SCREEN_WIDTH_FIELD_NUMBER: _ClassVar[int]
    SCREEN_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    user_agent: str
    locale: str
    screen_width: int
    screen_height: int
    time_zone: str
    ip: str
    def __init__(self, user_agent: _Optional[str] = ..., locale: _Optional[str] = ..., screen_width: _Optional[int] = ..., screen_height: _Optional[int] = ..., time_zone: _Optional[str] = ..., ip: _Optional[str] = ...) -> None: ...

class Utm(_message.Message):
    __slots__ = ("source", "medium", "campaign", "term", "content")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    MEDIUM_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    source: str
    medium: str
    campaign: str
    term: str
    content: str
    def __init__(self, source: _Optional[str] = ..., medium: _Optional[str] = ..., campaign: _Optional[str] = ..., term: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class Enrichment(_message.Message):
    __slots__ = ("browser", "browser_version", "os", "os_version", "device_class", "is_bot", "referrer_host", "clock_clamped", "visitor_id_derived", "event_id_assigned")
    BROWSER_FIELD_NUMBER: _ClassVar[int]
    BROWSER_VERSION_FIELD_NUMBER: _ClassVar[int]
    OS_FIELD_NUMBER: _ClassVar[int]
    OS_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEVICE_CLASS_FIELD_NUMBER: _ClassVar[int]
    IS_BOT_FIELD_NUMBER: _ClassVar[int]
    REFERRER_HOST_FIELD_NUMBER: _ClassVar[int]
    CLOCK_CLAMPED_FIELD_NUMBER: _ClassVar[int]
    VISITOR_ID_DERIVED_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    browser: str
    browser_version: str
    os: str
    os_version: str
    device_class: DeviceClass
    is_bot: bool
    referrer_host: str
    clock_clamped: bool
    visitor_id_derived: bool
    event_id_assigned: bool
    def __init__(self, browser: _Optional[str] = ..., browser_version: _Optional[str] = ..., os: _Optional[str] = ..., os_version: _Optional[str] = ..., device_class: _Optional[_Union[DeviceClass, str]] = ..., is_bot: _Optional[bool] = ..., referrer_host: _Optional[str] = ..., clock_clamped: _Optional[bool] = ..., visitor_id_derived: _Optional[bool] = ..., event_id_assigned: _Optional[bool] = ...) -> None: ...
