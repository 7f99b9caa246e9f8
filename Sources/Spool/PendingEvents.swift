import Dispatch
import Glibc
import SystemPackage

/// The names arriving in pending/, from inotify (IN_MOVED_TO | IN_CLOSE_WRITE), as an async sequence.
///
/// The watch is in place when `init` returns, so a scan made afterwards misses nothing: every file is in
/// the scan, or announced here, or both. Names beginning with "." are left out. Events are read only when
/// the consumer asks for the next one, so a consumer that falls behind lets the kernel's queue fill, and
/// the kernel then reports `.overflow`: rescan the folder. A name that is not UTF-8 is also reported as
/// `.overflow`, for the rescan to deal with it.
///
/// Iterate it once. Iteration ends when the iterating task is cancelled (the blocked read wakes up at
/// once) or when the folder is deleted or unmounted. The inotify descriptor is closed when the sequence
/// and its iterator are gone.
public struct PendingEvents: AsyncSequence, Sendable {
    public typealias Element = PendingEvent
    public typealias Failure = Never

    /// Something happened in pending/.
    public enum PendingEvent: Sendable, Hashable {
        /// A file named so was renamed in or closed after writing.
        case file(String)
        /// Events were lost (the kernel queue overflowed): rescan the folder.
        case overflow
    }

    private let watch: InotifyWatch

    /// Starts watching `directory` (normally the spool's pending/).
    public init(directory: FilePath) throws(SpoolError) {
        self.watch = try InotifyWatch(directory: directory)
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(watch: self.watch)
    }

    /// Yields the events of one watch; each blocking read happens off the cooperative thread pool.
    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        public typealias Element = PendingEvent
        public typealias Failure = Never

        private let watch: InotifyWatch
        /// Events read but not yet returned, in reverse order.
        private var buffered: [PendingEvent] = []
        private var ended = false

        init(watch: InotifyWatch) {
            self.watch = watch
        }

        public mutating func next() async -> PendingEvent? {
            await self.next(isolation: nil)
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> PendingEvent? {
            while true {
                if let event = self.buffered.popLast() {
                    return event
                }
                if self.ended {
                    return nil
                }
                guard let batch = await self.watch.read() else {
                    self.ended = true
                    return nil
                }
                self.ended = batch.ended
                self.buffered = batch.events.reversed()
            }
        }
    }
}

/// One inotify descriptor watching one folder, plus the pipe that wakes its blocked reader.
final class InotifyWatch: Sendable {
    private let inotify: FileDescriptor
    private let wakeRead: FileDescriptor
    private let wakeWrite: FileDescriptor
    /// Serializes the blocking reads; at most one of its threads waits in poll(2) at a time.
    private let queue = DispatchQueue(label: "spool.pending-events")
    private let directory: FilePath

    /// Bytes read at once: room for thousands of events.
    private static let bufferSize = 256 << 10
    private static let eventHeaderSize = 16  // struct inotify_event without its name

    init(directory: FilePath) throws(SpoolError) {
        self.directory = directory
        let inotify = inotify_init1(CInt(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else {
            throw SpoolError(.watch, directory, Errno(rawValue: Glibc.errno), detail: "inotify_init1")
        }
        let mask = UInt32(IN_MOVED_TO) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_ONLYDIR)
        let watch = directory.withPlatformString { inotify_add_watch(inotify, $0, mask) }
        guard watch >= 0 else {
            let error = Errno(rawValue: Glibc.errno)
            Glibc.close(inotify)
            throw SpoolError(.watch, directory, error, detail: "inotify_add_watch")
        }
        let pipe: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        do {
            pipe = try FileDescriptor.pipe(options: [.closeOnExec, .nonBlocking])
        } catch {
            Glibc.close(inotify)
            throw SpoolError(.watch, directory, error, detail: "pipe2")
        }
        self.inotify = FileDescriptor(rawValue: inotify)
        self.wakeRead = pipe.readEnd
        self.wakeWrite = pipe.writeEnd
    }

    deinit {
        _ = try? self.inotify.close()
        _ = try? self.wakeRead.close()
        _ = try? self.wakeWrite.close()
    }

    /// The next batch of events; nil once cancelled (for good) or when the descriptor fails.
    func read() async -> (events: [PendingEvents.PendingEvent], ended: Bool)? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                self.queue.async {
                    continuation.resume(returning: self.blockingRead())
                }
            }
        } onCancel: {
            self.wake()
        }
    }

    /// Makes every blocked and future read return nil. The byte is never drained.
    private func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(self.wakeWrite.rawValue, &byte, 1)
    }

    private func blockingRead() -> (events: [PendingEvents.PendingEvent], ended: Bool)? {
        var buffer = [UInt8](repeating: 0, count: Self.bufferSize)
        while true {
            var fds = [
                pollfd(fd: self.inotify.rawValue, events: Int16(POLLIN), revents: 0),
                pollfd(fd: self.wakeRead.rawValue, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if Glibc.errno == EINTR {
                    continue
                }
                return nil
            }
            if fds[1].revents != 0 {
                return nil
            }
            if fds[0].revents & Int16(POLLIN) == 0 {
                if fds[0].revents != 0 {
                    return nil  // POLLERR, POLLHUP or POLLNVAL: the descriptor is unusable
                }
                continue
            }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(self.inotify.rawValue, $0.baseAddress, $0.count) }
            if count < 0 {
                if Glibc.errno == EINTR || Glibc.errno == EAGAIN {
                    continue
                }
                return nil
            }
            let batch = Self.parse(buffer[..<count])
            if !batch.events.isEmpty || batch.ended {
                return batch
            }
        }
    }

    /// Decodes `struct inotify_event`s; drops hidden names and repeats of a name within the batch.
    static func parse(_ bytes: ArraySlice<UInt8>) -> (events: [PendingEvents.PendingEvent], ended: Bool) {
        var events: [PendingEvents.PendingEvent] = []
        var seen: Set<PendingEvents.PendingEvent> = []
        var ended = false
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + eventHeaderSize <= raw.count {
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameStart = offset + eventHeaderSize
                let nameEnd = min(nameStart + length, raw.count)
                offset = nameStart + length
                let nameBytes = raw[nameStart..<nameEnd]
                let name = nameBytes.prefix { $0 != 0 }

                let event: PendingEvents.PendingEvent
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    event = .overflow
                } else if mask & UInt32(IN_IGNORED) != 0 {
                    ended = true
                    continue
                } else if mask & (UInt32(IN_MOVED_TO) | UInt32(IN_CLOSE_WRITE)) != 0, let first = name.first {
                    if first == UInt8(ascii: ".") {
                        continue
                    }
                    if let text = String(validating: name, as: UTF8.self) {
                        event = .file(text)
                    } else {
                        event = .overflow
                    }
                } else {
                    continue
                }
                if seen.insert(event).inserted {
                    events.append(event)
                }
            }
        }
        return (events, ended)
    }
}

extension Spool {
    /// Starts watching pending/; scan it (`pendingNames()`) after this returns to miss nothing.
    public func pendingEvents() throws(SpoolError) -> PendingEvents {
        try PendingEvents(directory: self.path(.pending))
    }
}
