using System.CommandLine;
using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Cgroups;
using Berth.Runtime.Mounts;

namespace Berth.Cli.Runtime;

/// <summary>`features`: the runtime-spec features document, from the tables the runtime really uses.</summary>
public static class FeaturesCommand
{
    public static Command Build()
    {
        var c = new Command("features", "show the enabled features");
        c.SetAction(p => RuntimeCli.Guard(p, _ =>
        {
            var layout = CgroupLayout.Detect();
            var features = Features.Build(Capabilities.Names, MountOptions.Known, new FeatureSupport
            {
                CgroupV1 = layout.Kind is CgroupKind.V1 or CgroupKind.Hybrid,
                CgroupV2 = layout.Kind is CgroupKind.V2 or CgroupKind.Hybrid,
                Systemd = false,
                SystemdUser = false,
                Rdma = false,
                Seccomp = true,
                SeccompSupportedFlags = [.. SeccompNames.Flags],
                AppArmor = Directory.Exists("/sys/kernel/security/apparmor"),
                Selinux = Directory.Exists("/sys/fs/selinux"),
            });
            Console.WriteLine(System.Text.Encoding.UTF8.GetString(OciJson.Serialize(features, OciJsonContext.Default.Features)));
            return 0;
        }));
        return c;
    }
}
