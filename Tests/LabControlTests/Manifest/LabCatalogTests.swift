import Foundation
import XCTest

@testable import LabControl

final class LabCatalogTests: XCTestCase {
    func testResolvesByWeekSlugIdAndDirectory() throws {
        let catalog = try LabCatalog.load(root: Fixtures.labsDirectory)
        XCTAssertEqual(catalog.labs.map(\.directoryName), ["00-selftest", "12-message-queues"])
        XCTAssertEqual(catalog.problems, [])
        for name in ["12", "week12", "week12", "Week12", "012", "message-queues", "week12", "12-message-queues"] {
            XCTAssertEqual(try catalog.resolve(name).manifest.slug, "message-queues", name)
        }
        for name in ["0", "00", "week00", "selftest", "00-selftest"] {
            XCTAssertEqual(try catalog.resolve(name).manifest.id, "selftest", name)
        }
    }

    func testUnknownNamesSuggestAndList() throws {
        let catalog = try LabCatalog.load(root: Fixtures.labsDirectory)
        XCTAssertThrowsError(try catalog.resolve("message-queue")) { error in
            XCTAssertEqual(
                "\(error)", "no lab named 'message-queue'; did you mean 'message-queues'? (labs: 00-selftest, 12-message-queues)")
        }
        XCTAssertThrowsError(try catalog.resolve("7")) { error in
            XCTAssertEqual("\(error)", "no lab named '7' (labs: 00-selftest, 12-message-queues)")
        }
    }

    func testInvalidManifestsAreReportedNotHidden() throws {
        let root = try TestDirectory()
        defer { root.remove() }
        let labs = root.url.appendingPathComponent("labs")
        try FileManager.default.copyItem(at: Fixtures.labsDirectory, to: labs)
        try FileManager.default.createDirectory(at: labs.appendingPathComponent("03-broken"), withIntermediateDirectories: true)
        try "week: 3\nslug: broken\ntitle: Broken\nservices: []\nvariants: {before: {}, after: {}}\n"
            .write(to: labs.appendingPathComponent("03-broken/lab.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: labs.appendingPathComponent("04-misnamed"), withIntermediateDirectories: true)
        try "week: 5\nslug: misnamed\ntitle: M\nservices: [{role: a}]\nvariants: {before: {}, after: {}}\n"
            .write(to: labs.appendingPathComponent("04-misnamed/lab.yaml"), atomically: true, encoding: .utf8)

        let catalog = try LabCatalog.load(root: labs)
        XCTAssertEqual(catalog.labs.count, 2)
        XCTAssertEqual(
            catalog.problems.map(\.description),
            [
                "labs/03-broken/lab.yaml:4: field 'services': a lab needs at least one service",
                "labs/04-misnamed/lab.yaml:1: field 'slug': the directory is '04-misnamed' but week 5 and slug 'misnamed' make '05-misnamed'",
            ])
        XCTAssertThrowsError(try catalog.resolve("broken")) { error in
            XCTAssertEqual("\(error)", "labs/03-broken/lab.yaml:4: field 'services': a lab needs at least one service")
        }
    }

    func testNativeSupportNamesWhatIsMissing() throws {
        let catalog = try LabCatalog.load(root: Fixtures.labsDirectory)
        XCTAssertEqual(NativeSupport.check(try catalog.resolve("selftest").manifest).summary, "yes")
        XCTAssertEqual(NativeSupport.check(try catalog.resolve("12").manifest).summary, "no: kafka not native yet")
        let bare = ProgramLocator(searchDirectories: [])
        XCTAssertEqual(
            NativeSupport.check(try catalog.resolve("selftest").manifest, locator: bare).summary,
            "no: install postgresql postgresql-client prometheus redis-server")
    }

    func testDefaultRootPrefersTheOverrideThenTheEnvironment() {
        XCTAssertEqual(LabCatalog.defaultRoot(override: "/x/labs", environment: ["LAB_LABS_DIR": "/y"]).path, "/x/labs")
        XCTAssertEqual(LabCatalog.defaultRoot(override: nil, environment: ["LAB_LABS_DIR": "/y/labs"]).path, "/y/labs")
    }
}
