// libFuzzer target: the trace-segment reader (TraceSegmentFile + TraceStore opening a directory).
//
// The input is a segment file's bytes. Opening must never crash; every trace the index holds must
// be readable; a writer's open (which truncates damage) must leave a file that a reader then opens
// to the same traces, with no damage left at its end.
import Foundation
import Telemetry

@testable import LabControl

private let directory: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(base)/fuzz-trace-segment-\(getpid())"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTraceSegment(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    try? FileManager.default.removeItem(atPath: directory)
    try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let segment = directory + "/" + TraceSegmentFile.fileName(sequence: 1)
    _ = FileManager.default.createFile(atPath: segment, contents: Data(bytes))

    let scan = TraceSegmentFile.scan(bytes)
    check(scan.validLength <= bytes.count && scan.records.allSatisfy { $0.offset < scan.validLength }, "scan past its bounds")

    let reader = try! TraceStore(directory: directory, readOnly: true)
    let ids = reader.summaries().map(\.traceID)
    let traces = try! reader.traces(ids)
    check(traces.count == ids.count, "an indexed trace could not be read")

    let writer = try! TraceStore(directory: directory)
    check(Set(writer.summaries().map(\.traceID)) == Set(ids), "writer and reader index different traces")
    let writerIDs = writer.summaries().map(\.traceID)
    withExtendedLifetime(writer) {}
    let reopened = try! TraceStore(directory: directory, readOnly: true)
    check(Set(reopened.summaries().map(\.traceID)) == Set(writerIDs), "the truncated segment lost traces")
    check(reopened.statistics.recoveredBytes == 0, "damage left after the writer's recovery")
    return 0
}

/// Like `precondition`, but its message survives a release build (libFuzzer prints it with the crash).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
