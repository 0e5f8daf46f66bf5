/// Why a text could not be encoded.
public enum QRCodeError: Error, Equatable, Sendable {
    /// The UTF-8 text needs more bytes than a version 40 symbol holds at this level.
    case textTooLong(byteCount: Int, maximumByteCount: Int, level: ErrorCorrection)
}
