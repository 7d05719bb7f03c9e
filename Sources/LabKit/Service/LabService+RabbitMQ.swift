extension LabService {
    /// The service's RabbitMQ client from `RABBITMQ_URL` (nil when unset), with
    /// `RABBITMQ_CONNECTIONS` connections for publishing (a knob: a service that uses this declares
    /// `LabService.rabbitMQKnobs`): closed when the service stops, and `/readyz` reports `rabbitmq`
    /// not ready while the broker does not answer.
    public func rabbitmq() throws -> RabbitMQClient? {
        let connections = try knobs.read(Self.rabbitMQConnections)
        guard let url = context.environment["RABBITMQ_URL"], !url.isEmpty else { return nil }
        let client: RabbitMQClient
        do {
            client = try RabbitMQClient(url: url, connections: connections)
        } catch {
            throw LabStartupError("RABBITMQ_URL: \(error)")
        }
        addService(client)
        addReadinessCheck("rabbitmq") { try await client.declare(RabbitMQTopology()) }
        return client
    }
}

extension LabService {
    public static let rabbitMQConnections = Knob.wholeNumber(
        "RABBITMQ_CONNECTIONS", default: 2, in: 1...64, "RabbitMQ connections (each with its own thread) for publishing, at most")

    /// The knobs of `LabService.rabbitmq()`: a lab service that uses it declares these.
    public static let rabbitMQKnobs: [any LabKnob] = [rabbitMQConnections]
}
