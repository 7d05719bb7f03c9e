import Foundation
import GraphQL
import Graphiti
import LabKit

extension FederatedGraphLab {
    /// GraphQL over HTTP, as every service here speaks it: `POST /graphql` with
    /// `{"query": …, "variables": {…}}`, answered 200 with `{"data": …, "errors": [...]}` (a GraphQL
    /// error is data, not an HTTP error); a body that is not a GraphQL request is a 400 that says why.
    enum GraphQLHTTP {
        static func serve<Resolver: Sendable, Context: Sendable>(
            _ service: LabService, schema: Schema<Resolver, Context>, resolver: Resolver,
            context: @escaping @Sendable () -> Context, answered: @escaping @Sendable (GraphQLResult, Context) -> Void = { _, _ in }
        ) {
            service.router.post("/graphql") { request, _ -> Response in
                var request = request
                let body = try await request.collectBody(upTo: 1 << 20)
                let graphQLRequest: GraphQLRequest
                do {
                    graphQLRequest = try JSONDecoder().decode(GraphQLRequest.self, from: Data(buffer: body))
                } catch {
                    return .jsonError("body: expected {\"query\": string, \"variables\": object} (\(error))", status: .badRequest)
                }
                let requestContext = context()
                let result = try await schema.execute(
                    request: graphQLRequest.query, resolver: resolver, context: requestContext,
                    variables: graphQLRequest.variables, operationName: graphQLRequest.operationName)
                answered(result, requestContext)
                var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(result))))
                response.headers[.contentType] = "application/json"
                return response
            }
        }
    }
}
