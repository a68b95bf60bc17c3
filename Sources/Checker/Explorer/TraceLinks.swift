import Foundation

/// For every discovered state, its parent's discovery index and the index of the
/// action that reached it: what trace reconstruction needs. Like TLC's trace
/// file, the links are spilled to a temporary file in 64 KiB blocks rather than
/// kept in memory (6 bytes a state on disk, a fixed buffer in memory); runs that
/// cannot open a temporary file keep them in memory and say so in bytes/state.
final class TraceLinks {
    static let recordSize = 6           // UInt32 parent, UInt16 action
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 16
    private var file: FileHandle?
    private var path: String?
    private var flushedRecords = 0
    private var memory: [UInt8] = []    // used when no file could be opened
    private(set) var count = 0
    /// Action indices that do not fit 16 bits (rare: huge action lists).
    private var bigActions: [Int: Int] = [:]

    init(inMemory: Bool) {
        guard !inMemory else { return }
        let p = NSTemporaryDirectory() + "mmucheck-links-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).bin"
        if FileManager.default.createFile(atPath: p, contents: nil), let h = FileHandle(forUpdatingAtPath: p) {
            file = h
            path = p
            unlink(p)   // the file disappears with the handle, even if the process dies
        }
    }

    deinit { try? file?.close() }

    var onDisk: Bool { file != nil }
    /// Bytes the links keep in memory.
    var memoryBytes: Int { file == nil ? memory.capacity : bufferLimit }

    func append(parent: UInt32, action: Int) {
        let a: UInt16
        if action < 0xFFFF { a = UInt16(action) } else { a = 0xFFFF; bigActions[count] = action }
        count += 1
        if file == nil { TraceLinks.put(parent, a, into: &memory); return }
        TraceLinks.put(parent, a, into: &buffer)
        if buffer.count >= bufferLimit { flush() }
    }

    @inline(__always)
    private static func put(_ parent: UInt32, _ a: UInt16, into bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: parent)); bytes.append(UInt8(truncatingIfNeeded: parent >> 8))
        bytes.append(UInt8(truncatingIfNeeded: parent >> 16)); bytes.append(UInt8(truncatingIfNeeded: parent >> 24))
        bytes.append(UInt8(truncatingIfNeeded: a)); bytes.append(UInt8(truncatingIfNeeded: a >> 8))
    }

    private func flush() {
        guard let file, !buffer.isEmpty else { return }
        file.seekToEndOfFile()
        file.write(Data(buffer))
        flushedRecords += buffer.count / Self.recordSize
        buffer.removeAll(keepingCapacity: true)
    }

    /// The link of state `index`: (parent, action); parent is UInt32.max for an initial state.
    func link(_ index: Int) -> (parent: UInt32, action: Int) {
        let bytes: [UInt8]
        if file == nil {
            bytes = Array(memory[(index * 6)..<(index * 6 + 6)])
        } else if index >= flushedRecords {
            let o = (index - flushedRecords) * 6
            bytes = Array(buffer[o..<(o + 6)])
        } else {
            file!.seek(toFileOffset: UInt64(index * 6))
            bytes = [UInt8](file!.readData(ofLength: 6))
        }
        let parent = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        let a = Int(UInt16(bytes[4]) | UInt16(bytes[5]) << 8)
        return (parent, a == 0xFFFF ? (bigActions[index] ?? a) : a)
    }
}
