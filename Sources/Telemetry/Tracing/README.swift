// How a span travels — a map of this folder.
//
//   withSpan("GET /orders")                      swift-distributed-tracing facade
//        │
//   TelemetryTracer.startSpan                    TelemetryTracer.swift
//        │  parent = ServiceContext.spanContext (task-local, or extracted from `traceparent`)
//        │  sampled? = Sampler (parent-based always-on unless OTEL_TRACES_SAMPLER says otherwise)
//        ▼
//   TelemetrySpan (lock-protected state)         TelemetrySpan.swift
//        │  attributes: the facade's dictionary, or a server span's HTTP ones in fields (HTTPServerAttributes.swift)
//        │  end() → FinishedSpan                 FinishedSpan.swift, FinishedSpan+OTLP.swift
//        ▼
//   BatchSpanProcessor.onEnd                     BatchSpanProcessor.swift
//        │  bounded queue; full → drop + count; never blocks
//        ▼  one background task, batch by batch
//   OTLPHTTPSpanExporter.export                  OTLPHTTPSpanExporter.swift
//        │  protobuf written straight from the spans (FinishedSpan+Protobuf.swift), retries 429/502/503/504
//        ▼
//   OTLPTransport.post                           OTLPTransport.swift (LabKit supplies AsyncHTTPClient)
//
// Across processes the context travels as W3C headers: W3CTraceContextPropagator (W3CPropagation.swift)
// writes `traceparent`/`tracestate` with TraceParent.swift's strict parser and formatter.
// Configuration comes from OTEL_* variables (TelemetryConfiguration.swift); TracingSystem.swift wires
// it all and installs the tracer; ../Logging stamps trace_id/span_id on log lines.
