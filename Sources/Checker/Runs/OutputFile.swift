import Foundation

/// Writing a file the user named (`--trace-out`, `--junit`, `--cti-out`'s state files):
/// checked before a run without touching the path, written whole or not at all.
///
/// - The check (`problem`) only looks: the directory must exist and be writable, and an
///   existing path must be a regular file (a symlink is followed only onto a regular
///   file) that is writable. Nothing is created, so a run that writes nothing leaves the
///   path as it was.
/// - The write (`write`) goes to a temporary file in the same directory, which is then
///   renamed over the target: a reader never sees half a file, and a FIFO, a device node
///   or a directory is never replaced. An existing file keeps its permission bits; a
///   symlink to a regular file keeps being a symlink (its target is replaced).
public enum OutputFile {
    /// Why `path` cannot be written, or nil.
    public static func problem(_ path: String) -> String? {
        if path.isEmpty { return "empty path" }
        let target = resolved(path)
        var st = stat()
        if lstat(target, &st) == 0 {
            if st.st_mode & S_IFMT == S_IFLNK { return "a symlink that does not lead to a file (dangling or looping)" }
            guard st.st_mode & S_IFMT == S_IFREG else {
                return "exists and is not a regular file (a directory, FIFO, device or socket is never overwritten)"
            }
            if access(target, W_OK) != 0 { return "not writable (\(String(cString: strerror(errno))))" }
        } else if errno != ENOENT {
            return String(cString: strerror(errno))
        }
        let dir = (target as NSString).deletingLastPathComponent
        let folder = dir.isEmpty ? "." : dir
        var ds = stat()
        guard stat(folder, &ds) == 0, ds.st_mode & S_IFMT == S_IFDIR else { return "no such directory: \(folder)" }
        if access(folder, W_OK | X_OK) != 0 { return "cannot create files in \(folder) (\(String(cString: strerror(errno))))" }
        return nil
    }

    /// Why `path` cannot be written, or nil; also refused when it is one of this run's `inputs`
    /// (the same file by device and inode, through any symlink or spelling): writing it would
    /// destroy what the run read, e.g. `replay t.json --html t.json`.
    public static func problem(_ path: String, inputs: [String]) -> String? {
        if let why = problem(path) { return why }
        var out = stat()
        guard stat(path, &out) == 0 else { return nil }   // not there yet: no input can be it
        for input in inputs {
            var st = stat()
            if stat(input, &st) == 0, st.st_dev == out.st_dev, st.st_ino == out.st_ino {
                return "is \(input == path ? "an input" : "the same file as the input \(input)") of this run: writing it would destroy it"
            }
        }
        return nil
    }

    /// Writes `text` to `path` (see the type's comment). Throws a message when it cannot.
    public static func write(_ text: String, to path: String) throws(OutputFileError) {
        if let why = problem(path) { throw OutputFileError(path: path, message: why) }
        let target = resolved(path)
        let dir = (target as NSString).deletingLastPathComponent
        var template = Array(((dir.isEmpty ? "." : dir) + "/.mmucheck-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw OutputFileError(path: path, message: "cannot create a temporary file beside it (\(String(cString: strerror(errno))))") }
        let tmp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var keep = false
        defer { if !keep { unlink(tmp) } }
        var st = stat()
        let mode: mode_t
        if stat(target, &st) == 0 {
            mode = st.st_mode & 0o7777
        } else {
            let mask = umask(0)
            umask(mask)
            mode = 0o666 & ~mask
        }
        fchmod(fd, mode)
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let why = String(cString: strerror(errno))
                close(fd)
                throw OutputFileError(path: path, message: "write failed (\(why))")
            }
            offset += n
        }
        bytes.removeAll()
        if fsync(fd) != 0 || close(fd) != 0 {
            throw OutputFileError(path: path, message: "write failed (\(String(cString: strerror(errno))))")
        }
        guard rename(tmp, target) == 0 else {
            throw OutputFileError(path: path, message: "cannot replace it (\(String(cString: strerror(errno))))")
        }
        keep = true
    }

    /// The path with symlinks followed as long as they lead somewhere (at most 32 links), so
    /// a symlink to a file is written through; a dangling one is returned as it is.
    static func resolved(_ path: String) -> String {
        var p = path
        for _ in 0..<32 {
            var st = stat()
            guard lstat(p, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else { return p }
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(p, &buf, buf.count - 1)
            guard n > 0 else { return p }
            let dest = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let next = dest.hasPrefix("/") ? dest : ((p as NSString).deletingLastPathComponent as NSString).appendingPathComponent(dest)
            var ts = stat()
            guard lstat(next, &ts) == 0 else { return p }   // dangling: the link itself is reported
            p = next
        }
        return p
    }
}

/// An output file that cannot be written: the path and why.
public struct OutputFileError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}
