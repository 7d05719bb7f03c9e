import Foundation
import LabKit

extension ExactlyOnceProcessingLab {
    /// The one queue: a durable classic queue (quorum queues stop redelivering past a delivery limit,
    /// which would hide the redeliveries this lab is about).
    enum PaymentQueue {
        static let name = "payments"
        static let topology = RabbitMQTopology(queues: [.classic(name)])

        /// The message id a payment travels under: what the consumer's inbox remembers.
        static func messageID(payment: Int) -> String { "payment-\(payment)" }
    }

    /// The message: credit `amount_cents` to `account` for payment `payment_id`.
    struct PaymentMessage: Codable, Sendable, Equatable {
        let paymentID: Int
        let account: Int
        let amountCents: Int

        enum CodingKeys: String, CodingKey {
            case paymentID = "payment_id"
            case account
            case amountCents = "amount_cents"
        }

        var messageID: String { PaymentQueue.messageID(payment: paymentID) }

        func encoded() throws -> String { String(decoding: try JSONEncoder().encode(self), as: UTF8.self) }

        static func decode(_ body: [UInt8]) throws -> PaymentMessage { try JSONDecoder().decode(PaymentMessage.self, from: Data(body)) }
    }

    /// The accounts `init.sql` creates (1...1000) and the amounts the producer accepts.
    static let accounts = 1...1_000
    static let amounts = 1...1_000_000
}
