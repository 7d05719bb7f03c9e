import Foundation
import Telemetry

extension TraceStore {
    /// Where one record lies: segment sequence number, byte offset of its header, payload length.
    struct RecordLocation: Hashable, Sendable {
        var segment: Int
        var offset: Int
        var length: Int
    }

    struct Segment: Sendable {
        var sequence: Int
        var path: String
        var size: Int
        /// Traces with spans in this segment, so deleting it knows whom to update.
        var traceIDs: Set<TraceID>
    }

    struct IndexEntry: Sendable {
        var builder: TraceSummary.Builder
        var locations: [RecordLocation]
        /// Span ids already counted, so a batch re-sent by a retrying exporter is not counted twice.
        var spanIDs: Set<SpanID>
    }

    /// Everything behind the store's mutex.
    struct State: Sendable {
        var directory = ""
        var segments: [Segment] = []
        var index: [TraceID: IndexEntry] = [:]
        /// Append descriptor of the last segment (-1 when read-only or not open).
        var writeFD: Int32 = -1
        var lockFD: Int32 = -1
        var droppedSegments = 0
        var recoveredBytes = 0
        var recoveryNotes: [String] = []

        // MARK: Opening

        mutating func open(directory: String, configuration: Configuration) throws(TraceStoreError) {
            self.directory = directory
            if configuration.readOnly {
                guard FileManager.default.fileExists(atPath: directory) else { return }
            } else {
                do {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                } catch {
                    throw .io("create directory \(directory): \(error.localizedDescription)", 0)
                }
                try takeWriterLock()
            }
            for (sequence, path) in try segmentFiles() {
                try load(sequence: sequence, path: path, readOnly: configuration.readOnly)
            }
            if !configuration.readOnly {
                if segments.isEmpty { try startSegment(sequence: 1) } else { try openForAppend(segments[segments.count - 1].path) }
            }
        }

        private mutating func takeWriterLock() throws(TraceStoreError) {
            let path = directory + "/writer.lock"
            lockFD = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard lockFD >= 0 else { throw .io("open \(path)", errno) }
            if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                close(lockFD)
                lockFD = -1
                if code == EWOULDBLOCK { throw .inUse(directory: directory) }
                throw .io("lock \(path)", code)
            }
        }

        private func segmentFiles() throws(TraceStoreError) -> [(Int, String)] {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory)
            } catch {
                throw .io("list \(directory): \(error.localizedDescription)", 0)
            }
            return names.compactMap { name in TraceSegmentFile.sequence(ofFileName: name).map { ($0, directory + "/" + name) } }
                .sorted { $0.0 < $1.0 }
        }

        /// Scans one segment, truncates a damaged tail (unless read-only) and indexes its records.
        private mutating func load(sequence: Int, path: String, readOnly: Bool) throws(TraceStoreError) {
            let bytes: [UInt8]
            do {
                bytes = try PosixFile.readAll(path)
            } catch .io(_, ENOENT) where readOnly {
                return // the writer deleted this (oldest) segment since we listed the directory
            }
            var scan = TraceSegmentFile.scan(bytes)
            // A whole record (its length and checksum hold) that does not decode is skipped alone:
            // the framing is intact, so the records after it are still read. (`append` never writes
            // such a record; one can only come from an older version of the store or an editor.)
            var decoded: [(TraceSegmentFile.Record, OTLP.ExportTraceServiceRequest)] = []
            for record in scan.records {
                do {
                    decoded.append((record, try OTLP.ExportTraceServiceRequest(protobuf: record.payload)))
                } catch {
                    recoveryNotes.append(
                        "\(path): record at byte \(record.offset) (\(record.payload.count) bytes) does not decode: \(error); skipped it")
                }
            }
            if bytes.count < TraceSegmentFile.header.count, !readOnly {
                // Empty or cut inside the header: start it over.
                try rewriteHeader(path)
                scan.validLength = TraceSegmentFile.header.count
            } else if scan.validLength == 0 {
                // Not one of ours (bad header): leave it alone, but do not write into it.
                recoveryNotes.append("\(path): \(scan.damage ?? "unreadable"); ignored")
                return
            } else if scan.validLength < bytes.count {
                let lost = bytes.count - scan.validLength
                recoveredBytes += lost
                // A reader may see the record the writer is writing right now: incomplete, not damaged.
                let inFlight = readOnly && scan.damage.map { $0.contains("cut short") || $0.contains("partial record header") } ?? false
                if !inFlight {
                    let action = readOnly ? "skipped" : "truncated"
                    recoveryNotes.append("\(path): \(scan.damage ?? "damaged"); \(action) the last \(lost) bytes")
                }
                if !readOnly, truncate(path, off_t(scan.validLength)) != 0 { throw .io("truncate \(path)", errno) }
            }
            segments.append(Segment(sequence: sequence, path: path, size: scan.validLength, traceIDs: []))
            for (record, request) in decoded {
                let location = RecordLocation(segment: sequence, offset: record.offset, length: record.payload.count)
                index(request, at: location)
            }
        }

        private func rewriteHeader(_ path: String) throws(TraceStoreError) {
            let fd = Foundation.open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { throw .io("open \(path)", errno) }
            defer { close(fd) }
            try PosixFile.writeAll(fd, TraceSegmentFile.header, path: path)
        }

        private mutating func startSegment(sequence: Int) throws(TraceStoreError) {
            let path = directory + "/" + TraceSegmentFile.fileName(sequence: sequence)
            let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .io("create \(path)", errno) }
            try PosixFile.writeAll(fd, TraceSegmentFile.header, path: path)
            if writeFD >= 0 { close(writeFD) }
            writeFD = fd
            segments.append(Segment(sequence: sequence, path: path, size: TraceSegmentFile.header.count, traceIDs: []))
        }

        private mutating func openForAppend(_ path: String) throws(TraceStoreError) {
            let fd = Foundation.open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { throw .io("open \(path)", errno) }
            writeFD = fd
        }

        mutating func closeFiles() {
            if writeFD >= 0 { close(writeFD) }
            if lockFD >= 0 { close(lockFD) } // closing releases the flock
            writeFD = -1
            lockFD = -1
        }

        // MARK: Appending

        mutating func append(
            payload: [UInt8], request: OTLP.ExportTraceServiceRequest, configuration: Configuration
        ) throws(TraceStoreError) {
            let record = TraceSegmentFile.encodeRecord(payload)
            guard var current = segments.last else { throw .io("no open segment", 0) }
            if current.size > TraceSegmentFile.header.count, current.size + record.count > configuration.maxSegmentBytes {
                try startSegment(sequence: current.sequence + 1)
                current = segments[segments.count - 1]
            }
            do {
                try PosixFile.writeAll(writeFD, record, path: current.path)
            } catch {
                // Leave no partial record behind: cut the file back to where this record began.
                _ = ftruncate(writeFD, off_t(current.size))
                throw error
            }
            let location = RecordLocation(segment: current.sequence, offset: current.size, length: payload.count)
            segments[segments.count - 1].size += record.count
            index(request, at: location)
            try enforceBound(configuration.maxTotalBytes)
        }

        private mutating func index(_ request: OTLP.ExportTraceServiceRequest, at location: RecordLocation) {
            var touched = Set<TraceID>()
            for span in request.flattenedSpans {
                guard let traceID = span.traceID, let spanID = span.spanID else { continue }
                var entry = index[traceID] ?? IndexEntry(builder: TraceSummary.Builder(traceID: traceID), locations: [], spanIDs: [])
                if entry.spanIDs.insert(spanID).inserted { entry.builder.add(span) }
                if entry.locations.last != location { entry.locations.append(location) }
                index[traceID] = entry
                touched.insert(traceID)
            }
            if let i = segments.lastIndex(where: { $0.sequence == location.segment }) {
                segments[i].traceIDs.formUnion(touched)
            }
        }

        /// Deletes oldest segments until the total fits (always keeping the one being written).
        private mutating func enforceBound(_ maxTotalBytes: Int) throws(TraceStoreError) {
            while segments.count > 1, segments.reduce(0, { $0 + $1.size }) > maxTotalBytes {
                let oldest = segments.removeFirst()
                if unlink(oldest.path) != 0, errno != ENOENT { throw .io("delete \(oldest.path)", errno) }
                droppedSegments += 1
                for traceID in oldest.traceIDs {
                    guard var entry = index[traceID] else { continue }
                    entry.locations.removeAll { $0.segment == oldest.sequence }
                    if entry.locations.isEmpty {
                        index[traceID] = nil
                    } else {
                        // Some of the trace lives on in newer segments: summarize what is left.
                        let spans = (try? spans(in: entry.locations, of: [traceID])) ?? []
                        entry.builder = TraceSummary.Builder(traceID: traceID)
                        entry.spanIDs = []
                        for s in spans where s.spanID.map({ entry.spanIDs.insert($0).inserted }) ?? false {
                            entry.builder.add(s)
                        }
                        index[traceID] = entry
                    }
                }
            }
        }

        // MARK: Reading

        func readTrace(_ id: TraceID) throws(TraceStoreError) -> Trace? {
            try readTraces([id]).first
        }

        /// Several traces at once, each record decoded once however many of the traces it holds
        /// (a batch exporter mixes many traces in one request). Traces whose records are all gone
        /// are left out; the order follows `ids`.
        func readTraces(_ ids: [TraceID]) throws(TraceStoreError) -> [Trace] {
            let wanted = Set(ids)
            var locations: [RecordLocation] = []
            var seenLocations = Set<RecordLocation>()
            for id in ids {
                for location in index[id]?.locations ?? [] where seenLocations.insert(location).inserted {
                    locations.append(location)
                }
            }
            locations.sort { ($0.segment, $0.offset) < ($1.segment, $1.offset) }
            var spansByTrace: [TraceID: [TraceSpan]] = [:]
            var seenSpans: [TraceID: Set<SpanID>] = [:]
            for span in try spans(in: locations, of: wanted) {
                guard let traceID = span.traceID, wanted.contains(traceID), let spanID = span.spanID else { continue }
                if seenSpans[traceID, default: []].insert(spanID).inserted { spansByTrace[traceID, default: []].append(span) }
            }
            return ids.compactMap { id in spansByTrace[id].map { Trace(traceID: id, spans: $0) } }
        }

        /// The spans of the given records that belong to `traces` (records in a deleted segment are
        /// skipped). A record is one exporter batch of many traces: the other traces' spans are
        /// stepped over undecoded.
        private func spans(in locations: [RecordLocation], of traces: Set<TraceID>) throws(TraceStoreError) -> [TraceSpan] {
            var out: [TraceSpan] = []
            for location in locations {
                guard let segment = segments.first(where: { $0.sequence == location.segment }) else { continue }
                let payload: [UInt8]
                do {
                    payload = try PosixFile.readRange(
                        segment.path, offset: location.offset + TraceSegmentFile.recordHeaderSize, count: location.length)
                } catch .io(_, ENOENT) {
                    continue // deleted by the size bound (a read-only view lags the writer)
                }
                let request: OTLP.ExportTraceServiceRequest
                do {
                    request = try OTLP.ExportTraceServiceRequest(protobuf: payload) { TraceID(bytes: $0).map(traces.contains) ?? false }
                } catch {
                    throw .io("\(segment.path): record at byte \(location.offset) no longer decodes: \(error)", 0)
                }
                out += request.flattenedSpans
            }
            return out
        }
    }
}
