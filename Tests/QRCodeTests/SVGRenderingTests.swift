import Foundation
@testable import QRCode
import TestSupport
import Testing
// XMLParser lives in its own module outside Apple platforms.
#if canImport(FoundationXML)
import FoundationXML
#endif

struct SVGRenderingTests {
    @Test func standaloneDocumentWithBackgroundAndOnePath() throws {
        let matrix = try QRCode.encode("https://dev.convos.org/v2?i=abc")
        let svg = matrix.svg(moduleSize: 10, quietZone: 4)
        let side = matrix.size + 8
        let document = try SVGDocument(parsing: svg)

        #expect(document.root.name == "svg")
        #expect(document.root.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(document.root.attributes["viewBox"] == "0 0 \(side) \(side)")
        #expect(document.root.attributes["width"] == "\(side * 10)")
        #expect(document.root.attributes["height"] == "\(side * 10)")
        #expect(document.root.attributes["shape-rendering"] == "crispEdges")
        #expect(document.elements.map(\.name) == ["svg", "rect", "path"])
        let background = document.elements[1]
        #expect(background.attributes["fill"] == "#fff")
        #expect(background.attributes["width"] == "\(side)")
        #expect(background.attributes["height"] == "\(side)")
    }

    /// The path, read back run by run, paints exactly the dark modules, shifted by the quiet zone.
    @Test(arguments: [0, 4])
    func pathPaintsExactlyTheDarkModules(quietZone: Int) throws {
        let matrix = try QRCode.encode("https://dev.convos.org/v2?i=" + String(repeating: "x", count: 60))
        let document = try SVGDocument(parsing: matrix.svg(quietZone: quietZone))
        let path = try #require(document.elements.last?.attributes["d"])

        var painted = Set<[Int]>()
        for run in try Self.runs(in: path) {
            #expect(!painted.contains([run.y, run.x - 1]), "adjacent runs are merged")
            for x in run.x..<run.x + run.length { painted.insert([run.y, x]) }
        }
        var dark = Set<[Int]>()
        for row in 0..<matrix.size {
            for column in 0..<matrix.size where matrix[row: row, column: column] {
                dark.insert([row + quietZone, column + quietZone])
            }
        }
        #expect(painted == dark)
    }

    /// Parses "Mx yhNv1h-Nz" subpaths; anything else in the path fails the test.
    private static func runs(in path: String) throws -> [(x: Int, y: Int, length: Int)] {
        let pattern = /M(\d+) (\d+)h(\d+)v1h-(\d+)z/
        var runs: [(x: Int, y: Int, length: Int)] = []
        var rest = Substring(path)
        while !rest.isEmpty {
            let match = try #require(rest.prefixMatch(of: pattern), "unexpected path data: \(rest.prefix(40))")
            let (x, y, length, back) = (Int(match.1)!, Int(match.2)!, Int(match.3)!, Int(match.4)!)
            #expect(length == back && length > 0)
            runs.append((x, y, length))
            rest = rest[match.range.upperBound...]
        }
        return runs
    }
}

/// The elements of an XML document in document order; parsing fails on malformed markup.
private struct SVGDocument {
    struct Element {
        let name: String
        let attributes: [String: String]
    }

    let elements: [Element]
    var root: Element { elements[0] }

    init(parsing text: String) throws {
        let collector = Collector()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = collector
        guard parser.parse() else { throw MalformedXML(underlying: parser.parserError) }
        elements = collector.elements
    }

    struct MalformedXML: Error {
        let underlying: Error?
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String]) {
            elements.append(Element(name: elementName, attributes: attributes))
        }
    }
}
