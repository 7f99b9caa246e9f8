import ShopifySyncCore
import Testing

/// Which modes of the config and the token files are refused.
struct FileExposureTests {
    @Test(
        "a config writable by others is refused; group-writable and read-only ones are not",
        arguments: [
            (0o600, false), (0o640, false), (0o644, false), (0o660, false), (0o664, false), (0o646, true),
            (0o666, true), (0o602, true), (0o777, true), (0o4644, false),
        ]
    )
    func config(mode: Int, refused: Bool) {
        #expect((FileExposure.configProblem(mode: UInt32(mode)) != nil) == refused)
    }

    @Test(
        "a token readable or writable by others is refused; owner and group only is not",
        arguments: [
            (0o400, false), (0o600, false), (0o640, false), (0o660, false), (0o604, true), (0o644, true),
            (0o602, true), (0o606, true), (0o601, false), (0o666, true),
        ]
    )
    func token(mode: Int, refused: Bool) {
        #expect((FileExposure.tokenProblem(mode: UInt32(mode)) != nil) == refused)
    }

    @Test("the reason names the mode in octal and what to do")
    func message() {
        let text = FileExposure.tokenProblem(mode: 0o644) ?? ""
        #expect(text.contains("0644") && text.contains("chmod o-rwx"))
        #expect(FileExposure.configProblem(mode: 0o666)?.contains("chmod o-w") == true)
    }
}
