import Foundation
import PackagePlugin

/// Writes `GitCommit.swift` (`let gitCommit = "<12 hex digits>[-dirty]"`, or `"unknown"`
/// outside a git checkout) before every build of the target it is applied to, so that
/// `--version` names the commit the binary was built from. The file is rewritten only when
/// the commit changes, so an unchanged checkout does not rebuild anything.
@main
struct GitCommitPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "GitCommit")
        let file = output.appending(path: "GitCommit.swift").path(percentEncoded: false)
        let package = context.package.directoryURL.path(percentEncoded: false)
        let script = """
            set -eu
            mkdir -p "$(dirname '\(file)')"
            commit=$(git -C '\(package)' rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
            if [ "$commit" != unknown ] && [ -n "$(git -C '\(package)' status --porcelain --untracked-files=no 2>/dev/null)" ]; then
              commit="$commit-dirty"
            fi
            text="let gitCommit = \\"$commit\\""
            if [ ! -f '\(file)' ] || [ "$(cat '\(file)')" != "$text" ]; then printf '%s\\n' "$text" > '\(file)'; fi
            """
        return [
            .prebuildCommand(
                displayName: "Recording the git commit",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script],
                outputFilesDirectory: output
            ),
        ]
    }
}
