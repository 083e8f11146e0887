//! napi binding: forwards to the engine (stub while the binding is being written).
