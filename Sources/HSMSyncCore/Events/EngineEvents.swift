/// Where a use case sends its ``EngineEvent``s.
///
/// The handler is called synchronously, on whatever task or thread the work runs on (a scan calls it
/// from its HSM's thread), so it must be quick: draw a line, or yield to a stream. Use
/// ``stream(bufferingPolicy:)`` to consume events as an `AsyncSequence`.
public struct EngineEvents: Sendable {
    private let handler: @Sendable (EngineEvent) -> Void

    public init(_ handler: @escaping @Sendable (EngineEvent) -> Void) {
        self.handler = handler
    }

    /// Events nobody listens to.
    public static let ignored = EngineEvents { _ in }

    /// Reports `event`.
    public func emit(_ event: EngineEvent) { handler(event) }

    /// A sink and the stream its events arrive on. Call `finish` when the use case has returned, so
    /// the stream's consumers end.
    public static func stream(
        bufferingPolicy: AsyncStream<EngineEvent>.Continuation.BufferingPolicy = .unbounded
    ) -> (events: AsyncStream<EngineEvent>, sink: EngineEvents, finish: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream.makeStream(of: EngineEvent.self, bufferingPolicy: bufferingPolicy)
        return (stream, EngineEvents { continuation.yield($0) }, { continuation.finish() })
    }
}

/// A use case started in the background: its events as they happen, and its result.
public struct EngineRun<Success: Sendable, Failure: Error>: Sendable {
    /// Every event the run emits; the sequence ends when the run has returned.
    public let events: AsyncStream<EngineEvent>
    /// The run's result.
    public let result: Task<Success, Failure>

    /// Starts `work` with a sink whose events arrive on ``events``.
    public static func start(_ work: @escaping @Sendable (EngineEvents) async -> Success) -> EngineRun
    where Failure == Never {
        let (events, sink, finish) = EngineEvents.stream()
        let task = Task {
            defer { finish() }
            return await work(sink)
        }
        return EngineRun(events: events, result: task)
    }

    /// Starts throwing `work` with a sink whose events arrive on ``events``.
    public static func start(_ work: @escaping @Sendable (EngineEvents) async throws -> Success) -> EngineRun
    where Failure == any Error {
        let (events, sink, finish) = EngineEvents.stream()
        let task = Task {
            defer { finish() }
            return try await work(sink)
        }
        return EngineRun(events: events, result: task)
    }
}
