using Berth.IntegrationTests.Harness;
using Berth.IntegrationTests.ImageCommands;

namespace Berth.IntegrationTests.Containers;

/// <summary>bash with `berth` bound to a test store's berth: for tar streams piped through `cp -`.</summary>
internal static class StoreShell
{
    public static Result Sh(this EngineStore store, string script) =>
        ImageFixture.Shell($"berth() {{ '{BerthBinary.PathToBinary}' --root '{store.Root}' --runroot '{store.RunRoot}' \"$@\"; }}\nset -o pipefail\n{script}");
}
