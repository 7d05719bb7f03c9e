import XCTest

@testable import LabKit

/// Knob listings: the columns `labsvc knobs` prints, the README table and its marker block.
final class KnobTableTests: XCTestCase {
    static let breaker = Knob.flag("BREAKER", default: false, "calls go through the breaker")
    static let timeout = Knob.milliseconds("BACKEND_TIMEOUT_MS", default: 300, in: 1...3_600_000, "one call may take | this long")
    static let work = Knob.milliseconds("WORK_MS", default: 5, in: 0...60_000, "how long an answer takes")

    static let lab = LabServiceRegistry.Lab(
        week: 7, slug: "circuit-breakers", title: "t",
        roles: [.init("client", "c") { _ in }, .init("backend", "b") { _ in }, .init("spare", "s") { _ in }]
    ).declaringKnobs(["client": [breaker, timeout, work], "backend": [work]])

    func testTextColumns() {
        XCTAssertEqual(
            KnobTable.text([Self.breaker.spec, Self.timeout.spec]),
            """
            variable            kind  default  allowed      meaning
            BREAKER             flag  off      on, off      calls go through the breaker
            BACKEND_TIMEOUT_MS  ms    300      1...3600000  one call may take | this long
            """)
        XCTAssertEqual(KnobTable.text([]), "(no knobs)")
    }

    func testLabTableSharesARowBetweenRolesAndEscapesPipes() {
        XCTAssertEqual(
            KnobTable.markdown(Self.lab),
            """
            | variable | service | kind | default | allowed | meaning |
            |---|---|---|---|---|---|
            | `BREAKER` | client | flag | `off` | on, off | calls go through the breaker |
            | `BACKEND_TIMEOUT_MS` | client | ms | `300` | 1...3600000 | one call may take \\| this long |
            | `WORK_MS` | client, backend | ms | `5` | 0...60000 | how long an answer takes |
            """)
        XCTAssertNil(
            Self.lab.role("spare")?.knobs, "a role left out stays undeclared (LabKnobsTests requires a list for every role of a lab)")
    }

    func testOneRoleTableHasNoServiceColumnAndARequiredKnobSaysSo() {
        XCTAssertEqual(
            KnobTable.markdown([Knob.urls("API_URL", "replicas").spec]),
            """
            | variable | kind | default | allowed | meaning |
            |---|---|---|---|---|
            | `API_URL` | URL list | required | http(s) URLs, comma-separated | replicas |
            """)
    }

    func testReadmeBlockIsFoundAndReplacedBetweenItsMarkers() throws {
        let readme = """
            # Week 7

            ## Knobs

            <!-- BEGIN GENERATED KNOBS: stale -->
            | old | table |
            <!-- END GENERATED KNOBS -->

            ## Next
            """
        let updated = try KnobTable.updatingReadme(readme, for: Self.lab)
        XCTAssertEqual(KnobTable.readmeBlock(in: updated).map(String.init), KnobTable.readmeBlock(Self.lab))
        XCTAssertTrue(updated.hasPrefix("# Week 7\n\n## Knobs\n\n<!-- BEGIN GENERATED KNOBS: `labsvc knobs week07 --markdown`;"))
        XCTAssertTrue(updated.hasSuffix("<!-- END GENERATED KNOBS -->\n\n## Next"))
        XCTAssertEqual(try KnobTable.updatingReadme(updated, for: Self.lab), updated, "up to date: unchanged")
        XCTAssertThrowsError(try KnobTable.updatingReadme("# no markers", for: Self.lab))
    }
}
