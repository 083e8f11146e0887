//! The options object the JS layer passes (already validated there: names, types, ranges).
//!
//! The JS layer keeps the full, current option set and always passes all of it, so absent fields
//! simply mean "default" and `routingId: null` clears the identity.

use bytes::Bytes;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use zeromq_napi_engine::Options;

#[napi(object)]
pub struct JsOptions {
    pub receive_timeout: Option<i64>,
    pub send_timeout: Option<i64>,
    pub linger: Option<i64>,
    pub reconnect_interval: Option<i64>,
    pub reconnect_max_interval: Option<i64>,
    pub connect_timeout: Option<i64>,
    pub handshake_interval: Option<i64>,
    pub heartbeat_interval: Option<i64>,
    pub heartbeat_timeout: Option<i64>,
    pub heartbeat_time_to_live: Option<i64>,
    pub max_message_size: Option<i64>,
    pub send_high_water_mark: Option<u32>,
    pub receive_high_water_mark: Option<u32>,
    /// UTF-8 of a string identity, or the bytes of a binary one.
    pub routing_id: Option<Buffer>,
    pub correlate: Option<bool>,
    pub relaxed: Option<bool>,
}

impl JsOptions {
    pub(crate) fn to_engine(&self) -> Options {
        let d = Options::default();
        Options {
            receive_timeout: self.receive_timeout.unwrap_or(d.receive_timeout),
            send_timeout: self.send_timeout.unwrap_or(d.send_timeout),
            linger: self.linger.unwrap_or(d.linger),
            reconnect_interval: self.reconnect_interval.unwrap_or(d.reconnect_interval),
            reconnect_max_interval: self
                .reconnect_max_interval
                .unwrap_or(d.reconnect_max_interval),
            connect_timeout: self.connect_timeout.unwrap_or(d.connect_timeout),
            handshake_interval: self.handshake_interval.unwrap_or(d.handshake_interval),
            heartbeat_interval: self.heartbeat_interval.unwrap_or(d.heartbeat_interval),
            heartbeat_timeout: self.heartbeat_timeout.unwrap_or(d.heartbeat_timeout),
            heartbeat_ttl: self.heartbeat_time_to_live.unwrap_or(d.heartbeat_ttl),
            max_message_size: self.max_message_size.unwrap_or(d.max_message_size),
            send_hwm: self.send_high_water_mark.unwrap_or(d.send_hwm),
            receive_hwm: self.receive_high_water_mark.unwrap_or(d.receive_hwm),
            routing_id: self
                .routing_id
                .as_ref()
                .filter(|id| !id.is_empty())
                .map(|id| Bytes::copy_from_slice(id)),
            correlate: self.correlate.unwrap_or(d.correlate),
            relaxed: self.relaxed.unwrap_or(d.relaxed),
        }
    }
}
