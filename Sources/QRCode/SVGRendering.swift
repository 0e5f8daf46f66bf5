extension QRMatrix {
    /// A standalone SVG image of the symbol: a white background and every dark module in a single
    /// `<path>`, one subpath per horizontal run of dark modules, which keeps the markup a fraction
    /// of one `<rect>` per module.
    ///
    /// Coordinates are in modules (the viewBox) and `width`/`height` scale them to
    /// `moduleSize` pixels; `crispEdges` stops anti-aliasing from greying the seams between runs.
    /// - Parameters:
    ///   - moduleSize: Pixels per module at the image's natural size.
    ///   - quietZone: Light margin in modules; the standard asks for at least 4.
    public func svg(moduleSize: Int = 8, quietZone: Int = 4) -> String {
        precondition(moduleSize > 0 && quietZone >= 0, "module size must be positive and the quiet zone not negative")
        let side = size + 2 * quietZone
        let pixels = side * moduleSize
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(pixels)" height="\(pixels)" \
            viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path fill="#000" d="\(darkRunsPath(offset: quietZone))"/>\
            </svg>

            """
    }

    /// "M x y h run v1 h -run z" for each horizontal run of dark modules: a run-wide, one-high box.
    private func darkRunsPath(offset: Int) -> String {
        var path = ""
        for row in 0..<size {
            var column = 0
            while column < size {
                guard self[row: row, column: column] else { column += 1; continue }
                let start = column
                while column < size, self[row: row, column: column] { column += 1 }
                let run = column - start
                path += "M\(start + offset) \(row + offset)h\(run)v1h-\(run)z"
            }
        }
        return path
    }
}
