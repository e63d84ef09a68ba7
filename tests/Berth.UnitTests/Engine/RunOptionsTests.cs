using System.Text;
using Berth.Engine.Containers;
using Berth.Engine.Model;
using Berth.Engine.Options;
using Berth.Linux;

namespace Berth.UnitTests.Engine;

public sealed class RunOptionsTests : IDisposable
{
    // run's own -d, which the table does not hold (create has no such flag).
    private static readonly IReadOnlyList<FlagSpec> s_specs = [.. RunFlagTable.Specs, new FlagSpec(["--detach", "-d"], true)];

    private readonly string _dir = Directory.CreateTempSubdirectory("berth-runopts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteFile(string name, byte[] content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private string WriteFile(string name, string content) => WriteFile(name, Encoding.UTF8.GetBytes(content));

    /// <summary>docker's reading of `run ARGS…`: split at the image, set every flag, build the request.</summary>
    private static ContainerRequest Run(params string[] args) => RunWith(_ => null, args);

    private static ContainerRequest RunWith(Func<string, string?> env, params string[] args)
    {
        var options = Collect(env, args, out var split);
        return options.ToRequest(split.Image ?? throw new InvalidOperationException("no image"), split.Command);
    }

    private static RunOptions Collect(Func<string, string?> env, string[] args, out SplitArgs split)
    {
        split = FlagSplitter.Split(args, s_specs);
        var options = new RunOptions(env, "/work/dir");
        foreach (var (name, value) in split.Flags)
            if (name != "--detach") Assert.True(options.TrySet(name, value), name);
        return options;
    }

    private static string Fails(params string[] args) => Assert.Throws<FormatException>(() => Run(args)).Message;

    private static string Fails(Action action) => Assert.Throws<FormatException>(action).Message;

    // ---- Units ----

    [Theory]
    [InlineData("100", 100)]
    [InlineData("1b", 1)]
    [InlineData("1k", 1024)]
    [InlineData("1KB", 1024)]
    [InlineData("1KiB", 1024)]
    [InlineData("64m", 64L * 1024 * 1024)]
    [InlineData("1.5GiB", 1536L * 1024 * 1024)]
    [InlineData("512 kb", 512L * 1024)]
    [InlineData("2T", 2L << 40)]
    [InlineData("1p", 1L << 50)]
    [InlineData("1e3", 1000)]
    [InlineData("0.5b", 0)]
    public void BytesAreRamInBytes(string text, long bytes) => Assert.Equal(bytes, Units.ParseBytes(text));

    [Theory]
    [InlineData("12x", "invalid suffix: 'x'")]
    [InlineData("1kbb", "invalid suffix: 'kbb'")]
    [InlineData("1mx", "invalid suffix: 'mx'")]
    [InlineData("1bb", "invalid suffix: 'bb'")]
    [InlineData("1gigs", "invalid suffix: 'gigs'")]
    [InlineData("abc", "invalid size: 'abc'")]
    [InlineData("", "invalid size: ''")]
    [InlineData("-1", "invalid size: '-1'")]
    [InlineData("1.2.3", "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax")]
    [InlineData("99999999p", "invalid size: '99999999p'")]
    public void BadBytesFailAsDocker(string text, string message) =>
        Assert.Equal(message, Fails(() => Units.ParseBytes(text)));

    [Fact]
    public void HumanSizeIsDecimal()
    {
        Assert.Equal(10_000_000, Units.ParseHumanSize("10m"));
        Assert.Equal(10L * 1024 * 1024, Units.ParseBytes("10m"));
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("300ms", 300_000_000L)]
    [InlineData("10us", 10_000L)]
    [InlineData("10\u00b5s", 10_000L)]
    [InlineData("10\u03bcs", 10_000L)]
    [InlineData("7ns", 7L)]
    [InlineData("1h2m3.5s", 3_723_500_000_000L)]
    [InlineData("-1.5h", -5_400_000_000_000L)]
    [InlineData("+5s", 5_000_000_000L)]
    [InlineData(".5s", 500_000_000L)]
    [InlineData("1.s", 1_000_000_000L)]
    [InlineData("0.0000000001s", 0L)]
    [InlineData("2562047h47m16.854775807s", long.MaxValue)]
    public void DurationsAreGoDurations(string text, long nanoseconds) => Assert.Equal(nanoseconds, Units.ParseDuration(text));

    [Theory]
    [InlineData("10", "time: missing unit in duration \"10\"")]
    [InlineData("10x", "time: unknown unit \"x\" in duration \"10x\"")]
    [InlineData("1h-2m", "time: unknown unit \"h-\" in duration \"1h-2m\"")]
    [InlineData("1h 2m", "time: unknown unit \"h \" in duration \"1h 2m\"")]
    [InlineData("1h2", "time: missing unit in duration \"1h2\"")]
    [InlineData("", "time: invalid duration \"\"")]
    [InlineData("abc", "time: invalid duration \"abc\"")]
    [InlineData(".s", "time: invalid duration \".s\"")]
    [InlineData("-", "time: invalid duration \"-\"")]
    [InlineData("9999999999999999999h", "time: invalid duration \"9999999999999999999h\"")]
    [InlineData("2562048h", "time: invalid duration \"2562048h\"")]
    public void BadDurationsFailAsGo(string text, string message) =>
        Assert.Equal(message, Fails(() => Units.ParseDuration(text)));

    [Theory]
    [InlineData("1.5", 1_500_000_000L)]
    [InlineData("0.001", 1_000_000L)]
    [InlineData("2", 2_000_000_000L)]
    [InlineData("3/2", 1_500_000_000L)]
    [InlineData("1e-3", 1_000_000L)]
    [InlineData(".25", 250_000_000L)]
    [InlineData("-1", -1_000_000_000L)]
    public void CpusAreNanoCpus(string text, long nano) => Assert.Equal(nano, Units.ParseCpus(text));

    [Theory]
    [InlineData("abc", "failed to parse abc as a rational number")]
    [InlineData("1/0", "failed to parse 1/0 as a rational number")]
    [InlineData("", "failed to parse  as a rational number")]
    [InlineData("1.5.5", "failed to parse 1.5.5 as a rational number")]
    [InlineData("0.0000000001", "value is too precise")]
    [InlineData("1/3", "value is too precise")]
    public void BadCpusFailAsDocker(string text, string message) =>
        Assert.Equal(message, Fails(() => Units.ParseCpus(text)));

    // ---- Signals ----

    [Theory]
    [InlineData("SIGTERM", 15)]
    [InlineData("TERM", 15)]
    [InlineData("sigkill", 9)]
    [InlineData("Kill", 9)]
    [InlineData("15", 15)]
    [InlineData("SIGCLD", 17)]
    [InlineData("IOT", 6)]
    [InlineData("SIGPOLL", 29)]
    [InlineData("SIGWINCH", 28)]
    [InlineData("RTMIN", 34)]
    [InlineData("SIGRTMIN+3", 37)]
    [InlineData("RTMIN+15", 49)]
    [InlineData("RTMAX-14", 50)]
    [InlineData("rtmax-1", 63)]
    [InlineData("SIGRTMAX", 64)]
    public void SignalsParseAsDocker(string text, int number) => Assert.Equal(number, Signals.Parse(text));

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("-9")]
    [InlineData("")]
    [InlineData("SIG")]
    [InlineData("SIGFOO")]
    [InlineData("SIGSIGKILL")]
    [InlineData("RTMIN+16")]
    [InlineData("RTMAX-15")]
    [InlineData("RTMIN-1")]
    [InlineData(" 9")]
    public void BadSignalsAreRefused(string text) =>
        Assert.Equal($"invalid signal: {text}", Fails(() => Signals.Parse(text)));

    [Fact]
    public void SignalNamesRoundTrip()
    {
        Assert.Equal("SIGTERM", Signals.Name(15));
        Assert.Equal("SIGRTMIN+3", Signals.Name(37));
        Assert.Equal("SIGRTMAX", Signals.Name(64));
        foreach (int n in Enumerable.Range(1, 64).Where(n => n is not (32 or 33)))
        {
            Assert.Equal(n, Signals.Parse(Signals.Name(n)));
            Assert.Equal(n, Libc.ParseSignal(Signals.Name(n)[3..]));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Signals.Name(32));
        Assert.Throws<ArgumentOutOfRangeException>(() => Signals.Name(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Signals.Name(65));
    }

    // ---- -v ----

    [Fact]
    public void VolumeSpecKinds()
    {
        var bind = VolumeSpec.Parse("/src:/dst:ro");
        Assert.Equal(("bind", "/src", "/dst", true), (bind.Type, bind.Source, bind.Target, bind.ReadOnly));
        Assert.Null(bind.BindOptions);

        var named = VolumeSpec.Parse("data:/x");
        Assert.Equal(("volume", "data", "/x", false), (named.Type, named.Source, named.Target, named.ReadOnly));

        var anonymous = VolumeSpec.Parse("/x");
        Assert.Equal(("volume", "", "/x"), (anonymous.Type, anonymous.Source, anonymous.Target));

        var relative = VolumeSpec.Parse("./rel:/x", "/base");
        Assert.Equal(("bind", "/base/rel"), (relative.Type, relative.Source));

        var cleaned = VolumeSpec.Parse("/a/../b//:/c/./d/");
        Assert.Equal(("/b", "/c/d"), (cleaned.Source, cleaned.Target));
    }

    [Fact]
    public void VolumeSpecModes()
    {
        Assert.Equal("rshared", VolumeSpec.Parse("/a:/b:rshared").BindOptions!.Propagation);
        Assert.True(VolumeSpec.Parse("vol:/x:nocopy").VolumeOptions!.NoCopy);
        var mixed = VolumeSpec.Parse("/a:/b:z,ro,rslave");
        Assert.True(mixed.ReadOnly);
        Assert.Equal("rslave", mixed.BindOptions!.Propagation);
        Assert.False(VolumeSpec.Parse("/a:/b:rw,Z,cached").ReadOnly);
    }

    [Theory]
    [InlineData("", "invalid empty volume spec")]
    [InlineData("/a::/b", "invalid spec: /a::/b: empty section between colons")]
    [InlineData("/a:/b:", "invalid spec: /a:/b:: empty section between colons")]
    [InlineData("a:b:c:d", "invalid spec: a:b:c:d: too many colons")]
    [InlineData("/data:ro", "invalid volume specification: '/data:ro'")]
    [InlineData("/a:/b:xx", "invalid mode: xx")]
    [InlineData("/a:/b:ro,rw", "invalid mode: ro,rw")]
    [InlineData("/a:/b:shared,slave", "invalid mode: shared,slave")]
    [InlineData("/a:rel", "invalid volume specification: '/a:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute")]
    [InlineData("/a:/", "invalid volume specification: '/a:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'")]
    [InlineData("rel", "invalid volume specification: 'rel': invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute")]
    [InlineData("vol:/x:shared", "invalid volume specification: 'vol:/x:shared': invalid mount config for type \"volume\": field BindOptions must not be specified")]
    [InlineData("/a:/b:nocopy", "invalid volume specification: '/a:/b:nocopy': invalid mount config for type \"bind\": field VolumeOptions must not be specified")]
    public void BadVolumeSpecsFailAsDocker(string spec, string message) =>
        Assert.Equal(message, Fails(() => VolumeSpec.Parse(spec)));

    [Theory]
    [InlineData("bad@name:/x")]
    [InlineData("a:/x")]
    [InlineData("~/x:/x")]
    [InlineData("_x:/x")]
    public void VolumeNamesFollowTheLocalDriver(string spec) =>
        Assert.Contains("includes invalid characters for a local volume name", Fails(() => VolumeSpec.Parse(spec)));

    // ---- --mount ----

    [Fact]
    public void MountFlagKinds()
    {
        var bind = MountFlag.Parse("type=bind,source=/a,target=/b,readonly,bind-propagation=RSLAVE");
        Assert.Equal(("bind", "/a", "/b", true, "rslave"), (bind.Type, bind.Source, bind.Target, bind.ReadOnly, bind.BindOptions!.Propagation));

        var volume = MountFlag.Parse("src=v,dst=/x,volume-nocopy,volume-label=a=b,volume-label=c,ro=false");
        Assert.Equal(("volume", "v", "/x", false), (volume.Type, volume.Source, volume.Target, volume.ReadOnly));
        Assert.True(volume.VolumeOptions!.NoCopy);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "b", ["c"] = "" }, volume.VolumeOptions.Labels);

        var tmpfs = MountFlag.Parse("type=TMPFS,destination=/t,tmpfs-size=64m,tmpfs-mode=1770");
        Assert.Equal(("tmpfs", 64L * 1024 * 1024, Convert.ToInt32("1770", 8)), (tmpfs.Type, tmpfs.TmpfsOptions!.SizeBytes, tmpfs.TmpfsOptions.Mode));

        Assert.Equal("/base/d", MountFlag.Parse("type=bind,src=./d,dst=/x", "/base").Source);
        Assert.Equal("/a,b", MountFlag.Parse("\"target=/a,b\"").Target);
        Assert.Equal("/q\"uote", MountFlag.Parse("\"target=/q\"\"uote\"").Target);
        Assert.NotNull(MountFlag.Parse("target=/x,consistency=cached,volume-driver=local").VolumeOptions);
    }

    [Theory]
    [InlineData("", "EOF")]
    [InlineData("target=/x,foo", "invalid field 'foo' must be a key=value pair")]
    [InlineData("target=/x,bogus=1", "unexpected key 'bogus' in 'bogus=1'")]
    [InlineData("src=v", "target is required")]
    [InlineData("type=,target=/x", "type is required")]
    [InlineData("type=bind,target=/x,volume-nocopy", "cannot mix 'volume-*' options with mount type 'bind'")]
    [InlineData("type=volume,target=/x,bind-propagation=shared", "cannot mix 'bind-*' options with mount type 'volume'")]
    [InlineData("target=/x,tmpfs-size=1m", "cannot mix 'tmpfs-*' options with mount type 'volume'")]
    [InlineData("type=tmpfs,target=/t,tmpfs-mode=9", "invalid value for tmpfs-mode: 9")]
    [InlineData("type=tmpfs,target=/t,tmpfs-size=lots", "invalid value for tmpfs-size: lots")]
    [InlineData("target=/x,ro=maybe", "invalid value for ro: maybe")]
    [InlineData("target=/x,volume-nocopy=maybe", "invalid value for volume-nocopy: maybe")]
    [InlineData("target=/x,volume-driver=nfs", "volume driver 'nfs' is not supported: berth has the local driver only")]
    [InlineData("type=bind,src=/a,target=/x,bind-nonrecursive", "mount option 'bind-nonrecursive' is not supported")]
    [InlineData("target=/x,volume-opt=o=1", "mount option 'volume-opt' is not supported")]
    [InlineData("target=/x\"y", "parse error on line 1, column 10: bare \" in non-quoted-field")]
    [InlineData("\"target=/x", "parse error on line 1, column 1: extraneous or missing \" in quoted-field")]
    public void BadMountsFailAsDocker(string value, string message) =>
        Assert.Equal(message, Fails(() => MountFlag.Parse(value)));

    [Theory]
    [InlineData("type=bind,target=/x", "invalid mount config for type \"bind\": field Source must not be empty")]
    [InlineData("type=bind,src=rel,target=/x", "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute")]
    [InlineData("type=bind,src=/a,target=/x,bind-propagation=bogus", "invalid mount config for type \"bind\": invalid propagation mode: bogus")]
    [InlineData("type=bind,src=/a,target=x", "invalid mount config for type \"bind\": invalid mount path: 'x' mount path must be absolute")]
    [InlineData("type=bind,src=/a,target=/../", "invalid mount config for type \"bind\": invalid specification: destination can't be '/'")]
    [InlineData("type=volume,target=/x,ro", "invalid mount config for type \"volume\": must not set ReadOnly mode when using anonymous volumes")]
    [InlineData("type=tmpfs,src=x,target=/x", "invalid mount config for type \"tmpfs\": field Source must not be specified")]
    [InlineData("type=image,src=busybox,target=/x", "invalid mount config for type \"image\": mount type unknown")]
    public void MountsAreCheckedAsTheDaemonDoes(string value, string message) =>
        Assert.Equal(message, Fails(() => MountFlag.Validate(MountFlag.Parse(value))));

    // ---- --tmpfs, --device, throttles, --ulimit ----

    [Fact]
    public void TmpfsSplitsPathAndOptions()
    {
        Assert.Equal(("/run", "rw,size=64m"), TmpfsFlag.Parse("/run:rw,size=64m"));
        Assert.Equal(("/run", ""), TmpfsFlag.Parse("/run"));
        Assert.Equal(("/x", "noexec,nosuid,mode=1777,uid=1000"), TmpfsFlag.Parse("/x:noexec,nosuid,mode=1777,uid=1000"));
        Assert.Equal("invalid mount path: 'run' mount path must be absolute", Fails(() => TmpfsFlag.Parse("run")));
        Assert.Equal("invalid specification: destination can't be '/'", Fails(() => TmpfsFlag.Parse("/:size=1m")));
        Assert.Equal("invalid tmpfs option \"foo\"", Fails(() => TmpfsFlag.Parse("/x:foo")));
        Assert.Equal("invalid tmpfs option \"size=\"", Fails(() => TmpfsFlag.Parse("/x:size=")));
        Assert.Equal("invalid tmpfs option \"\"", Fails(() => TmpfsFlag.Parse("/x:rw,,ro")));
    }

    [Theory]
    [InlineData("/dev/fuse", "/dev/fuse", "/dev/fuse", "rwm")]
    [InlineData("/dev/sda:/dev/xvda:r", "/dev/sda", "/dev/xvda", "r")]
    [InlineData("/dev/sda:rw", "/dev/sda", "/dev/sda", "rw")]
    [InlineData("/dev/sda:/dev//xvda/", "/dev/sda", "/dev/xvda", "rwm")]
    [InlineData("/dev//null", "/dev/null", "/dev/null", "rwm")]
    public void DevicesMapHostToContainer(string value, string host, string container, string permissions)
    {
        var d = DeviceFlags.ParseDevice(value);
        Assert.Equal((host, container, permissions), (d.PathOnHost, d.PathInContainer, d.CgroupPermissions));
    }

    [Theory]
    [InlineData("/dev/a:/dev/b:rwx", "bad mode specified: rwx")]
    [InlineData("/dev/a:/dev/b:rr", "bad mode specified: rr")]
    [InlineData("a:b:c:d", "bad format for path: a:b:c:d")]
    [InlineData(":/dev/x", "bad format for path: :/dev/x")]
    [InlineData("/dev/a:rel", "rel is not an absolute path")]
    [InlineData("fuse", "fuse is not an absolute path")]
    [InlineData("nvidia.com/gpu=all", "CDI device nvidia.com/gpu=all is not supported")]
    public void BadDevicesFailAsDocker(string value, string message) =>
        Assert.Equal(message, Fails(() => DeviceFlags.ParseDevice(value)));

    [Fact]
    public void ThrottlesReadRates()
    {
        var bps = DeviceFlags.ParseBps("/dev/sda:1mb");
        Assert.Equal(("/dev/sda", 1048576UL), (bps.Path, bps.Rate));
        var iops = DeviceFlags.ParseIops("/dev/sda:1000");
        Assert.Equal(("/dev/sda", 1000UL), (iops.Path, iops.Rate));

        Assert.Equal("bad format for device path: sda:1", Fails(() => DeviceFlags.ParseBps("sda:1")));
        Assert.Equal("bad format: /dev/sda", Fails(() => DeviceFlags.ParseBps("/dev/sda")));
        Assert.Equal("bad format: :1", Fails(() => DeviceFlags.ParseIops(":1")));
        Assert.StartsWith("invalid rate for device: /dev/sda:x. The correct format is <device-path>:<number>[<unit>].", Fails(() => DeviceFlags.ParseBps("/dev/sda:x")));
        Assert.StartsWith("invalid rate for device: /dev/sda:1k. The correct format is <device-path>:<number>.", Fails(() => DeviceFlags.ParseIops("/dev/sda:1k")));
        Assert.StartsWith("invalid rate for device: /dev/sda:-1.", Fails(() => DeviceFlags.ParseIops("/dev/sda:-1")));
        Assert.StartsWith("invalid rate for device: /dev/sda:-1.", Fails(() => DeviceFlags.ParseBps("/dev/sda:-1")));
    }

    [Fact]
    public void UlimitsReadSoftAndHard()
    {
        var u = UlimitFlag.Parse("nofile=1024:2048");
        Assert.Equal(("nofile", 1024L, 2048L), (u.Name, u.Soft, u.Hard));
        var single = UlimitFlag.Parse("nproc=512");
        Assert.Equal((512L, 512L), (single.Soft, single.Hard));
        var unlimited = UlimitFlag.Parse("core=0:infinity");
        Assert.Equal((0L, -1L), (unlimited.Soft, unlimited.Hard));
        Assert.Equal(-1L, UlimitFlag.Parse("memlock=infinity").Hard);
        foreach (string name in UlimitFlag.Names) Assert.Equal(name, UlimitFlag.Parse(name + "=1").Name);
        Assert.Equal(15, UlimitFlag.Names.Count);
    }

    [Theory]
    [InlineData("nofile", "invalid ulimit argument: nofile")]
    [InlineData("as=1", "invalid ulimit type: as")]
    [InlineData("NOFILE=1", "invalid ulimit type: NOFILE")]
    [InlineData("nofile=1:2:3", "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`")]
    [InlineData("nofile=x", "strconv.ParseInt: parsing \"x\": invalid syntax")]
    [InlineData("nofile=", "strconv.ParseInt: parsing \"\": invalid syntax")]
    [InlineData("nofile=99999999999999999999", "strconv.ParseInt: parsing \"99999999999999999999\": value out of range")]
    [InlineData("nofile=2048:1024", "ulimit soft limit must be less than or equal to hard limit: 2048 > 1024")]
    [InlineData("nofile=infinity:10", "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 10")]
    public void BadUlimitsFailAsDocker(string value, string message) =>
        Assert.Equal(message, Fails(() => UlimitFlag.Parse(value)));

    // ---- --restart ----

    [Theory]
    [InlineData("no", "no", 0)]
    [InlineData("always", "always", 0)]
    [InlineData("unless-stopped", "unless-stopped", 0)]
    [InlineData("on-failure", "on-failure", 0)]
    [InlineData("on-failure:3", "on-failure", 3)]
    [InlineData("on-failure:", "on-failure", 0)]
    [InlineData("", "", 0)]
    public void RestartPolicies(string value, string name, int retries)
    {
        var p = RestartFlag.Parse(value);
        Assert.Equal((name, retries), (p.Name, p.MaximumRetryCount));
    }

    [Theory]
    [InlineData("always:3", "invalid restart policy: maximum retry count can only be used with 'on-failure'")]
    [InlineData("no:-1", "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative")]
    [InlineData("on-failure:-1", "invalid restart policy: maximum retry count cannot be negative")]
    [InlineData("on-failure:x", "invalid restart policy format: maximum retry count must be an integer")]
    [InlineData("on-failure:1.5", "invalid restart policy format: maximum retry count must be an integer")]
    [InlineData(":3", "invalid restart policy format: no policy provided before colon")]
    [InlineData("sometimes", "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'")]
    [InlineData("Always", "invalid restart policy: unknown policy 'Always'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'")]
    public void BadRestartPoliciesFailAsDocker(string value, string message) =>
        Assert.Equal(message, Fails(() => RestartFlag.Parse(value)));

    // ---- -e, -l, --sysctl and their files ----

    [Fact]
    public void EnvTakesUnsetKeysFromTheCaller()
    {
        Func<string, string?> env = k => k == "HOME" ? "/root" : k == "EMPTY" ? "" : null;
        Assert.Equal("A=1", KeyValueFlags.ParseEnv("A=1", env));
        Assert.Equal("A=", KeyValueFlags.ParseEnv("A=", env));
        Assert.Equal("A=b=c", KeyValueFlags.ParseEnv("A=b=c", env));
        Assert.Equal("HOME=/root", KeyValueFlags.ParseEnv("HOME", env));
        Assert.Equal("EMPTY=", KeyValueFlags.ParseEnv("EMPTY", env));
        Assert.Null(KeyValueFlags.ParseEnv("UNSET", env));
        Assert.Equal("invalid environment variable: =x", Fails(() => KeyValueFlags.ParseEnv("=x", env)));
        Assert.Equal("invalid environment variable: ", Fails(() => KeyValueFlags.ParseEnv("", env)));
    }

    [Fact]
    public void LabelsAndSysctls()
    {
        Assert.Equal(new KeyValuePair<string, string>("a", "b=c"), KeyValueFlags.ParseLabel("a=b=c"));
        Assert.Equal(new KeyValuePair<string, string>("a", ""), KeyValueFlags.ParseLabel("a"));
        Assert.Equal("invalid label '=b': empty name", Fails(() => KeyValueFlags.ParseLabel("=b")));
        Assert.Equal("invalid label ' \t=b': empty name", Fails(() => KeyValueFlags.ParseLabel(" \t=b")));
        Assert.Equal("label 'a b' contains whitespaces", Fails(() => KeyValueFlags.ParseLabel("a b=c")));

        Assert.Equal(new KeyValuePair<string, string>("net.ipv4.ip_forward", "1"), KeyValueFlags.ParseSysctl("net.ipv4.ip_forward=1"));
        Assert.Equal(new KeyValuePair<string, string>("kernel.shmmax", "1=2"), KeyValueFlags.ParseSysctl("kernel.shmmax=1=2"));
        Assert.Equal("fs.mqueue.msg_max", KeyValueFlags.ParseSysctl("fs.mqueue.msg_max=10").Key);
        Assert.Equal("sysctl 'kernel.domainname=x' is not allowed", Fails(() => KeyValueFlags.ParseSysctl("kernel.domainname=x")));
        Assert.Equal("sysctl 'net.core.somaxconn' is not allowed", Fails(() => KeyValueFlags.ParseSysctl("net.core.somaxconn")));
        Assert.Equal("sysctl '=1' is not allowed", Fails(() => KeyValueFlags.ParseSysctl("=1")));
    }

    [Fact]
    public void EnvFilesAreReadAsDocker()
    {
        string path = WriteFile("env", "\uFEFF# comment\n\n  A=1\r\nB\nUNSET\nQ=\"quoted\"\nD=  spaced  \n\t# indented comment\nE=x=y\nLAST=no-newline");
        var lines = KeyValueFlags.ReadEnvFile(path, k => k == "B" ? "from-env" : null);
        Assert.Equal(["A=1", "B=from-env", "Q=\"quoted\"", "D=  spaced  ", "E=x=y", "LAST=no-newline"], lines);
        Assert.Equal(["A=1", "Q=\"quoted\"", "D=  spaced  ", "E=x=y", "LAST=no-newline"], KeyValueFlags.ReadLabelFile(path));
    }

    [Fact]
    public void BadEnvFilesFailAsDocker()
    {
        string spaced = WriteFile("spaced", "OK=1\nA B=1\n");
        Assert.Equal($"invalid env file ({spaced}): variable 'A B' contains whitespaces", Fails(() => KeyValueFlags.ReadEnvFile(spaced, _ => null)));
        string trailing = WriteFile("trailing", "KEY \n");
        Assert.Equal($"invalid env file ({trailing}): variable 'KEY ' contains whitespaces", Fails(() => KeyValueFlags.ReadEnvFile(trailing, _ => null)));
        string noName = WriteFile("noname", "=x\n");
        Assert.Equal($"invalid env file ({noName}): no variable name on line '=x'", Fails(() => KeyValueFlags.ReadEnvFile(noName, _ => null)));
        string binary = WriteFile("binary", [(byte)'A', (byte)'=', 0xff, (byte)'\n']);
        Assert.Equal($"invalid env file ({binary}): invalid utf8 bytes at line 1: [65 61 255]", Fails(() => KeyValueFlags.ReadLabelFile(binary)));
        string huge = WriteFile("huge", "A=" + new string('x', 70_000));
        Assert.Equal($"invalid env file ({huge}): bufio.Scanner: token too long", Fails(() => KeyValueFlags.ReadEnvFile(huge, _ => null)));
        string missing = Path.Combine(_dir, "missing");
        Assert.Equal($"open {missing}: no such file or directory", Fails(() => KeyValueFlags.ReadEnvFile(missing, _ => null)));
        Assert.Equal($"read {_dir}: is a directory", Fails(() => KeyValueFlags.ReadLabelFile(_dir)));
    }

    // ---- --security-opt ----

    [Fact]
    public void SecurityOptsAreKeptOrRefused()
    {
        var ok = SecurityOpts.Parse(["no-new-privileges", "no-new-privileges=true", "no-new-privileges:false", "seccomp=unconfined", "label=disable", "apparmor=unconfined", "writable-cgroups=true"]);
        Assert.Equal(["no-new-privileges", "no-new-privileges=true", "no-new-privileges:false", "seccomp=unconfined", "label=disable", "apparmor=unconfined", "writable-cgroups=true"], ok.SecurityOpt);
        Assert.False(ok.UnconfinedSystemPaths);

        var paths = SecurityOpts.Parse(["systempaths=unconfined"]);
        Assert.True(paths.UnconfinedSystemPaths);
        Assert.Empty(paths.SecurityOpt);

        Assert.Equal("invalid --security-opt 2: \"no-new-privileges=maybe\"", Fails(() => SecurityOpts.Parse(["no-new-privileges=maybe"])));
        Assert.Equal("invalid --security-opt 2: \"foo=bar\"", Fails(() => SecurityOpts.Parse(["foo=bar"])));
        Assert.Equal("invalid --security-opt 2: \"systempaths=confined\"", Fails(() => SecurityOpts.Parse(["systempaths=confined"])));
        Assert.Equal("invalid --security-opt: \"seccomp\"", Fails(() => SecurityOpts.Parse(["seccomp"])));
        Assert.Equal("invalid --security-opt: \"seccomp=\"", Fails(() => SecurityOpts.Parse(["seccomp="])));
        Assert.Equal("invalid --security-opt: \"disable\"", Fails(() => SecurityOpts.Parse(["disable"])));
        Assert.Contains("SELinux labels are not supported on this host", Fails(() => SecurityOpts.Parse(["label=type:svirt_t"])));
        Assert.Contains("AppArmor profiles are not supported on this host", Fails(() => SecurityOpts.Parse(["apparmor=docker-default"])));
    }

    [Fact]
    public void SeccompFilesAreSentAsCompactJson()
    {
        string profile = WriteFile("profile.json", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [ ]\n}\n");
        Assert.Equal(["seccomp={\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[]}"], SecurityOpts.Parse(["seccomp=" + profile]).SecurityOpt);

        string broken = WriteFile("broken.json", "{\"defaultAction\":");
        Assert.StartsWith($"compacting json for seccomp profile ({broken}) failed:", Fails(() => SecurityOpts.Parse(["seccomp=" + broken])));
        string missing = Path.Combine(_dir, "nope.json");
        Assert.Equal($"opening seccomp profile ({missing}) failed: open {missing}: no such file or directory", Fails(() => SecurityOpts.Parse(["seccomp=" + missing])));
    }

    // ---- --add-host, --dns, --dns-search, --expose ----

    [Theory]
    [InlineData("h:1.2.3.4", "h:1.2.3.4")]
    [InlineData("h=::1", "h:::1")]
    [InlineData("h:::1", "h:::1")]
    [InlineData("h:[::1]", "h:::1")]
    [InlineData("h=[10.0.0.1]", "h:10.0.0.1")]
    [InlineData("a;b:10.0.0.1", "a;b:10.0.0.1")]
    [InlineData("h:host-gateway", "h:host-gateway")]
    public void ExtraHosts(string value, string api) => Assert.Equal(api, NetworkFlags.ParseExtraHost(value));

    [Theory]
    [InlineData(":1.2.3.4", "bad format for add-host: \":1.2.3.4\"")]
    [InlineData("h", "bad format for add-host: \"h\"")]
    [InlineData("a;:1.2.3.4", "hostname in add-host \"a;:1.2.3.4\" is empty")]
    [InlineData("h:999.1.1.1", "invalid IP address in add-host: \"999.1.1.1\"")]
    [InlineData("h:1", "invalid IP address in add-host: \"1\"")]
    [InlineData("h=fe80::1%eth0", "invalid IP address in add-host: \"fe80::1%eth0\"")]
    public void BadExtraHostsFailAsDocker(string value, string message) =>
        Assert.Equal(message, Fails(() => NetworkFlags.ParseExtraHost(value)));

    [Fact]
    public void DnsServersAndDomains()
    {
        Assert.Equal("1.1.1.1", NetworkFlags.ParseDns(" 1.1.1.1 "));
        Assert.Equal("1.2.3.4", NetworkFlags.ParseDns("::ffff:1.2.3.4"));
        Assert.Equal("2001:db8::1", NetworkFlags.ParseDns("2001:DB8:0:0:0:0:0:1"));
        Assert.Equal("IP address is not correctly formatted: 1.2.3", Fails(() => NetworkFlags.ParseDns("1.2.3")));
        Assert.Equal("IP address is not correctly formatted: 010.1.1.1", Fails(() => NetworkFlags.ParseDns("010.1.1.1")));
        Assert.Equal("IP address is not correctly formatted: 0x7f.1.1.1", Fails(() => NetworkFlags.ParseDns("0x7f.1.1.1")));

        Assert.Equal("example.com", NetworkFlags.ParseDnsSearch("example.com."));
        Assert.Equal(".", NetworkFlags.ParseDnsSearch("."));
        Assert.Equal("a-b.c1", NetworkFlags.ParseDnsSearch("a-b.c1"));
        Assert.Equal("123 is not a valid domain", Fails(() => NetworkFlags.ParseDnsSearch("123")));
        Assert.Equal("-bad.com is not a valid domain", Fails(() => NetworkFlags.ParseDnsSearch("-bad.com")));
        Assert.Equal("a..b is not a valid domain", Fails(() => NetworkFlags.ParseDnsSearch("a..b")));
        string tooLong = string.Join('.', Enumerable.Repeat("abcdefghij", 30));
        Assert.Equal($"{tooLong} is not a valid domain", Fails(() => NetworkFlags.ParseDnsSearch(tooLong)));
    }

    [Fact]
    public void ExposedPorts()
    {
        Assert.Equal(["80/tcp"], NetworkFlags.ParseExpose("80"));
        Assert.Equal(["53/udp"], NetworkFlags.ParseExpose("53/UDP"));
        Assert.Equal(["8000/tcp", "8001/tcp", "8002/tcp"], NetworkFlags.ParseExpose("8000-8002/tcp"));
        Assert.Contains("invalid protocol 'xyz'", Fails(() => NetworkFlags.ParseExpose("80/xyz").ToList()));
        Assert.StartsWith("invalid range format for --expose:", Fails(() => NetworkFlags.ParseExpose("x").ToList()));
        Assert.StartsWith("invalid range format for --expose:", Fails(() => NetworkFlags.ParseExpose("90-80").ToList()));
        Assert.StartsWith("invalid range format for --expose:", Fails(() => NetworkFlags.ParseExpose("70000").ToList()));
    }

    // ---- splitting the command line ----

    [Fact]
    public void FlagsStopAtTheImage()
    {
        var s = FlagSplitter.Split(["-it", "--rm", "busybox", "ls", "-l", "--rm"], s_specs);
        Assert.Equal("busybox", s.Image);
        Assert.Equal(["ls", "-l", "--rm"], s.Command);
        Assert.Equal([new("--interactive", "true"), new("--tty", "true"), new KeyValuePair<string, string>("--rm", "true")], s.Flags);
    }

    [Fact]
    public void ShortFlagsBundleAndTakeValues()
    {
        var s = FlagSplitter.Split(["-dit", "-e", "A=1", "-eB=2", "-e=C=3", "-itu", "root", "-itvX:/x", "--name=n", "--name", "-m", "img"], s_specs);
        Assert.Equal("img", s.Image);
        Assert.Empty(s.Command);
        Assert.Equal(
        [
            new("--detach", "true"), new("--interactive", "true"), new("--tty", "true"),
            new("--env", "A=1"), new("--env", "B=2"), new("--env", "C=3"),
            new("--interactive", "true"), new("--tty", "true"), new("--user", "root"),
            new("--interactive", "true"), new("--tty", "true"), new("--volume", "X:/x"),
            new("--name", "n"), new KeyValuePair<string, string>("--name", "-m"),
        ], s.Flags);
    }

    [Fact]
    public void BooleansTakeOnlyAttachedValues()
    {
        var s = FlagSplitter.Split(["--rm=false", "-t=0", "--init=T", "--entrypoint=", "--net", "host", "img"], s_specs);
        Assert.Equal(
        [
            new("--rm", "false"), new("--tty", "false"), new("--init", "true"), new("--entrypoint", ""),
            new KeyValuePair<string, string>("--network", "host"),
        ], s.Flags);
        Assert.Equal("invalid argument \"maybe\" for \"--rm\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax",
            Fails(() => FlagSplitter.Split(["--rm=maybe", "img"], s_specs)));
        Assert.Equal("invalid argument \"x\" for \"-t, --tty\" flag: strconv.ParseBool: parsing \"x\": invalid syntax",
            Fails(() => FlagSplitter.Split(["-t=x", "img"], s_specs)));
    }

    [Fact]
    public void DoubleDashEndsFlags()
    {
        var s = FlagSplitter.Split(["--rm", "--", "-odd-image", "-x"], s_specs);
        Assert.Equal("-odd-image", s.Image);
        Assert.Equal(["-x"], s.Command);
        Assert.Null(FlagSplitter.Split(["--rm", "--"], s_specs).Image);
        Assert.Null(FlagSplitter.Split(["--rm"], s_specs).Image);
        Assert.Null(FlagSplitter.Split([], s_specs).Image);
        Assert.Equal("-", FlagSplitter.Split(["-", "x"], s_specs).Image);
        Assert.Equal(["--", "ls"], FlagSplitter.Split(["img", "--", "ls"], s_specs).Command);
    }

    [Theory]
    [InlineData("unknown flag: --foo", "--foo", "img")]
    [InlineData("unknown flag: --foo", "--foo=1", "img")]
    [InlineData("unknown shorthand flag: 'x' in -x", "-x", "img")]
    [InlineData("unknown shorthand flag: 'x' in -itx", "-itx", "img")]
    [InlineData("unknown shorthand flag: '1' in -1", "-1")]
    [InlineData("flag needs an argument: 'e' in -e", "-e")]
    [InlineData("flag needs an argument: 'u' in -itu", "-itu")]
    [InlineData("flag needs an argument: --name", "--name")]
    public void BadFlagsFailAsPflag(string message, params string[] args) =>
        Assert.Equal(message, Fails(() => FlagSplitter.Split(args, s_specs)));

    [Fact]
    public void TokensCannotBeMisread()
    {
        var s = FlagSplitter.Split(["--name", "-x", "--entrypoint", "", "--rm", "--init=false", "-v", "/a:/b", "--label", "k=v:w", "img"], s_specs);
        Assert.Equal(["--name=-x", "--entrypoint", "", "--rm", "--init=false", "--volume=/a:/b", "--label=k=v:w"], s.ToTokens(s_specs));
    }

    [Fact]
    public void TheTableHasOneMeaningPerSpelling()
    {
        var names = RunFlagTable.All.SelectMany(f => f.Spec.Names).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(RunFlagTable.All, f =>
        {
            Assert.StartsWith("--", f.Name);
            Assert.False(string.IsNullOrWhiteSpace(f.Description), f.Name);
            Assert.Equal(f.IsBool, f.ValueName.Length == 0);
        });
        Assert.Equal("--hostname", RunFlagTable.Find("-h")!.Name);
        Assert.Equal("--network", RunFlagTable.Find("--net")!.Name);
        Assert.Equal("--dns-option", RunFlagTable.Find("--dns-opt")!.Name);
        Assert.Equal("--cpu-shares", RunFlagTable.Find("-c")!.Name);
        Assert.Null(RunFlagTable.Find("--detach"));
        Assert.False(new RunOptions().TrySet("--publish", "80"));
    }

    // ---- from flags to the request ----

    [Fact]
    public void AbsentFlagsLeaveTheModelDefaults()
    {
        var r = Run("busybox");
        var (defaultConfig, defaultHost) = (new ContainerConfig(), new HostConfig());
        Assert.Equal("busybox", r.Image);
        Assert.Equal("busybox", r.Config.Image);
        Assert.Null(r.Name);
        Assert.Null(r.Config.Cmd);
        Assert.Null(r.Config.Entrypoint);
        Assert.Null(r.Config.Env);
        Assert.Null(r.Config.Labels);
        Assert.Null(r.Config.Healthcheck);
        Assert.Null(r.Config.StopSignal);
        Assert.Null(r.Config.StopTimeout);
        Assert.Null(r.Config.Volumes);
        Assert.Null(r.Config.ExposedPorts);
        Assert.Equal((false, true, true, false, false, false), (r.Config.AttachStdin, r.Config.AttachStdout, r.Config.AttachStderr, r.Config.OpenStdin, r.Config.StdinOnce, r.Config.Tty));

        var h = r.HostConfig;
        Assert.Equal(defaultHost.NetworkMode, h.NetworkMode);
        Assert.Equal("none", h.NetworkMode);
        Assert.Equal(defaultHost.IpcMode, h.IpcMode);
        Assert.Equal(("json-file", 0), (h.LogConfig.Type, h.LogConfig.Config.Count));
        Assert.Equal(("no", 0), (h.RestartPolicy.Name, h.RestartPolicy.MaximumRetryCount));
        Assert.Equal((0L, 0L, 0L, 0L, 0L), (h.Memory, h.MemorySwap, h.NanoCpus, h.CpuShares, h.ShmSize));
        Assert.Null(h.MemorySwappiness);
        Assert.Null(h.OomKillDisable);
        Assert.Null(h.PidsLimit);
        Assert.Null(h.Init);
        Assert.Null(h.Binds);
        Assert.Null(h.Mounts);
        Assert.Null(h.Tmpfs);
        Assert.Null(h.SecurityOpt);
        Assert.Null(h.MaskedPaths);
        Assert.Null(h.Ulimits);
        Assert.Null(h.Dns);
        Assert.Null(h.CapAdd);
        Assert.Equal(("", "", "", ""), (h.PidMode, h.UTSMode, h.UsernsMode, h.CgroupnsMode));
        Assert.Equal(defaultConfig.Hostname, r.Config.Hostname);
    }

    [Fact]
    public void GeneralFlagsReachTheConfig()
    {
        var r = Run("-it", "--rm", "--name", "web", "-w", "/srv", "-u", "1000:1000", "-h", "box", "--domainname", "example.org",
            "--stop-signal", "SIGUSR1", "--stop-timeout", "5", "--init", "--read-only", "--privileged", "--cidfile", "/tmp/cid",
            "--group-add", "audio", "--cgroup-parent", "/berth", "--shm-size", "64m", "--oom-score-adj", "-500",
            "busybox", "sh", "-c", "echo hi");
        Assert.Equal("web", r.Name);
        Assert.Equal(["sh", "-c", "echo hi"], r.Config.Cmd);
        Assert.Equal((true, true, true, true, true), (r.Config.Tty, r.Config.OpenStdin, r.Config.AttachStdin, r.Config.StdinOnce, r.Config.AttachStdout));
        Assert.Equal(("/srv", "1000:1000", "box", "example.org"), (r.Config.WorkingDir, r.Config.User, r.Config.Hostname, r.Config.Domainname));
        Assert.Equal(("SIGUSR1", (int?)5), (r.Config.StopSignal, r.Config.StopTimeout));
        var h = r.HostConfig;
        Assert.Equal((true, true, true, (bool?)true), (h.AutoRemove, h.ReadonlyRootfs, h.Privileged, h.Init));
        Assert.Equal(("/tmp/cid", "/berth", 64L << 20, -500), (h.ContainerIDFile, h.CgroupParent, h.ShmSize, h.OomScoreAdj));
        Assert.Equal(["audio"], h.GroupAdd!);
        Assert.False(Run("--init=false", "img").HostConfig.Init);
    }

    [Fact]
    public void AttachChoosesTheStreams()
    {
        var r = Run("-a", "STDIN", "-a", "stderr", "img");
        Assert.Equal((true, false, true, false), (r.Config.AttachStdin, r.Config.AttachStdout, r.Config.AttachStderr, r.Config.StdinOnce));
        Assert.Equal(["stdin", "stderr"], Collect(_ => null, ["-a", "stdin", "-a", "STDERR", "img"], out _).AttachStreams());
        Assert.Equal("invalid argument \"tty\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR", Fails("-a", "tty", "img"));
    }

    [Fact]
    public void EntrypointEmptyClearsTheImages()
    {
        var cleared = Run("--entrypoint", "", "img").Config.Entrypoint;
        Assert.NotNull(cleared);
        Assert.Empty(cleared);
        Assert.Empty(Assert.IsType<List<string>>(Run("--entrypoint=", "img").Config.Entrypoint));
        Assert.Equal(["/bin/sh"], Run("--entrypoint", "/bin/sh", "img").Config.Entrypoint!);
    }

    [Fact]
    public void BadValuesNameTheirFlag()
    {
        Assert.Equal("invalid argument \"12x\" for \"-m, --memory\" flag: invalid suffix: 'x'", Fails("-m", "12x", "img"));
        Assert.Equal("invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc as a rational number", Fails("--cpus", "abc", "img"));
        Assert.Equal("invalid argument \"x\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"x\": invalid syntax", Fails("-c", "x", "img"));
        Assert.Equal("invalid argument \"10\" for \"--health-interval\" flag: time: missing unit in duration \"10\"", Fails("--health-interval", "10", "img"));
        Assert.Equal("invalid argument \"70000\" for \"--blkio-weight\" flag: strconv.ParseUint: parsing \"70000\": value out of range", Fails("--blkio-weight", "70000", "img"));
        Assert.Equal("invalid argument \"9999999999\" for \"--stop-timeout\" flag: strconv.ParseInt: parsing \"9999999999\": value out of range", Fails("--stop-timeout", "9999999999", "img"));
        Assert.Equal("invalid argument \"a b=c\" for \"-l, --label\" flag: label 'a b' contains whitespaces", Fails("-l", "a b=c", "img"));
        Assert.Equal("invalid argument \"kernel.x=1\" for \"--sysctl\" flag: sysctl 'kernel.x=1' is not allowed", Fails("--sysctl", "kernel.x=1", "img"));
        Assert.Equal("invalid argument \"src=/a\" for \"--mount\" flag: target is required", Fails("--mount", "src=/a", "img"));
        Assert.Equal("invalid argument \"1.2.3\" for \"--dns\" flag: IP address is not correctly formatted: 1.2.3", Fails("--dns", "1.2.3", "img"));
        Assert.StartsWith("invalid argument \"" + new string('9', 400) + "\" for \"-m, --memory\" flag:", Fails("-m", new string('9', 400), "img"));
        // pflag parses ints in base 0: "0x10" is 16 and "010" is 8.
        Assert.Equal((16L, 8L), (Run("-c", "0x10", "img").HostConfig.CpuShares, Run("-c", "010", "img").HostConfig.CpuShares));
    }

    [Fact]
    public void MemoryIsCheckedAsTheDaemonDoes()
    {
        var h = Run("-m", "64m", "--memory-swap", "-1", "--memory-reservation", "32m", "--memory-swappiness", "60", "img").HostConfig;
        Assert.Equal((64L << 20, -1L, 32L << 20, (long?)60), (h.Memory, h.MemorySwap, h.MemoryReservation, h.MemorySwappiness));
        Assert.Null(Run("--memory-swappiness", "-1", "img").HostConfig.MemorySwappiness);
        Assert.Equal(128L << 20, Run("-m", "64m", "--memory-swap", "128m", "img").HostConfig.MemorySwap);

        Assert.Equal("You should always set the Memory limit when using Memoryswap limit, see usage", Fails("--memory-swap", "1g", "img"));
        Assert.Equal("Minimum memoryswap limit should be larger than memory limit, see usage", Fails("-m", "64m", "--memory-swap", "32m", "img"));
        Assert.Equal("Minimum memory limit allowed is 6MB", Fails("-m", "1m", "img"));
        Assert.Equal("Minimum memory reservation allowed is 6MB", Fails("--memory-reservation", "1k", "img"));
        Assert.Equal("Minimum memory limit can not be less than memory reservation limit, see usage", Fails("-m", "64m", "--memory-reservation", "128m", "img"));
        Assert.Equal("invalid value: 101. Valid memory swappiness range is 0-100", Fails("--memory-swappiness", "101", "img"));
        Assert.Equal("invalid value: -2. Valid memory swappiness range is 0-100", Fails("--memory-swappiness", "-2", "img"));
    }

    [Fact]
    public void CpusAreCheckedAsTheDaemonDoes()
    {
        var h = Run("--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0-1,3", "--cpuset-mems", "0", "--pids-limit", "-1", "--blkio-weight", "500", "--oom-kill-disable", "img").HostConfig;
        Assert.Equal((500_000_000L, 512L, "0-1,3", "0", (long?)-1, (ushort)500, (bool?)true), (h.NanoCpus, h.CpuShares, h.CpusetCpus, h.CpusetMems, h.PidsLimit, h.BlkioWeight, h.OomKillDisable));
        var cfs = Run("--cpu-period", "100000", "--cpu-quota", "50000", "img").HostConfig;
        Assert.Equal((100000L, 50000L, 0L), (cfs.CpuPeriod, cfs.CpuQuota, cfs.NanoCpus));

        Assert.Equal("Conflicting options: Nano CPUs and CPU Period cannot both be set", Fails("--cpus", "1.5", "--cpu-period", "100000", "img"));
        Assert.Equal("Conflicting options: Nano CPUs and CPU Quota cannot both be set", Fails("--cpus", "1.5", "--cpu-quota", "50000", "img"));
        Assert.StartsWith("range of CPUs is from 0.01 to ", Fails("--cpus", "100000", "img"));
        Assert.StartsWith("range of CPUs is from 0.01 to ", Fails("--cpus", "-1", "img"));
        Assert.Equal("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)", Fails("--cpu-period", "500", "img"));
        Assert.Equal("CPU cfs quota can not be less than 1ms (i.e. 1000)", Fails("--cpu-quota", "500", "img"));
        Assert.Equal("invalid CPU shares (-1): value must be a positive integer", Fails("-c", "-1", "img"));
        Assert.Equal("Invalid value 0-x for cpuset cpus: invalid format: 0-x", Fails("--cpuset-cpus", "0-x", "img"));
        Assert.Equal("Invalid value 3-1 for cpuset mems: invalid format: 3-1", Fails("--cpuset-mems", "3-1", "img"));
        Assert.Equal("Range of blkio weight is from 10 to 1000", Fails("--blkio-weight", "5", "img"));
        Assert.Equal("Invalid value 2000, range for oom score adj is [-1000, 1000]", Fails("--oom-score-adj", "2000", "img"));
    }

    [Fact]
    public void DevicesThrottlesAndUlimits()
    {
        var h = Run("--device", "/dev/fuse", "--device-read-bps", "/dev/sda:1mb", "--device-write-bps", "/dev/sda:2k",
            "--device-read-iops", "/dev/sda:100", "--device-write-iops", "/dev/sdb:200",
            "--ulimit", "nofile=1:2", "--ulimit", "core=0", "--ulimit", "nofile=3:4", "img").HostConfig;
        Assert.Equal("/dev/fuse", Assert.Single(h.Devices!).PathInContainer);
        Assert.Equal(1UL << 20, Assert.Single(h.BlkioDeviceReadBps!).Rate);
        Assert.Equal(2048UL, Assert.Single(h.BlkioDeviceWriteBps!).Rate);
        Assert.Equal(100UL, Assert.Single(h.BlkioDeviceReadIOps!).Rate);
        Assert.Equal("/dev/sdb", Assert.Single(h.BlkioDeviceWriteIOps!).Path);
        Assert.Equal([("core", 0L, 0L), ("nofile", 3L, 4L)], h.Ulimits!.Select(u => (u.Name, u.Soft, u.Hard)));
        Assert.Equal("bad mode specified: rwx", Fails("--device", "/dev/a:/dev/b:rwx", "img"));
    }

    [Fact]
    public void EnvironmentComesFromFilesThenFlags()
    {
        string file = WriteFile("vars.env", "A=from-file\nB=from-file\nHOME\n");
        var r = RunWith(k => k switch { "HOME" => "/root", "USER" => "me", _ => null },
            "--env-file", file, "-e", "B=from-flag", "-e", "USER", "-e", "UNSET", "img");
        Assert.Equal(["A=from-file", "B=from-file", "HOME=/root", "B=from-flag", "USER=me"], r.Config.Env!);
        Assert.Equal($"open {Path.Combine(_dir, "none")}: no such file or directory", Fails("--env-file", Path.Combine(_dir, "none"), "img"));
        Assert.Equal("invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x", Fails("-e", "=x", "img"));
    }

    [Fact]
    public void LabelsComeFromFilesThenFlags()
    {
        string file = WriteFile("labels", "a=file\nb=file\nbare\n");
        var r = Run("--label-file", file, "-l", "b=flag", "-l", "c", "img");
        Assert.Equal(new Dictionary<string, string> { ["a"] = "file", ["b"] = "flag", ["c"] = "" }, r.Config.Labels);
    }

    [Fact]
    public void RestartAndRemoveConflict()
    {
        var p = Run("--restart", "on-failure:3", "img").HostConfig.RestartPolicy;
        Assert.Equal(("on-failure", 3), (p.Name, p.MaximumRetryCount));
        Assert.True(Run("--restart", "no", "--rm", "img").HostConfig.AutoRemove);
        Assert.Equal("conflicting options: cannot specify both --restart and --rm", Fails("--restart", "always", "--rm", "img"));
        Assert.Equal("invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'", Fails("--restart", "sometimes", "img"));
    }

    [Fact]
    public void VolumesGoWhereDockerSendsThem()
    {
        var r = Run("-v", "/host:/c:ro", "-v", "data:/d", "-v", "/anon", "-v", "./rel:/r:z", "-v", "/host:/c:ro", "--mount", "type=tmpfs,dst=/t", "--tmpfs", "/run:size=64m", "img");
        Assert.Equal(["/host:/c:ro", "data:/d", "/work/dir/rel:/r:z"], r.HostConfig.Binds!);
        Assert.Equal(["/anon"], r.Config.Volumes!.Keys);
        Assert.Equal("tmpfs", Assert.Single(r.HostConfig.Mounts!).Type);
        Assert.Equal(new Dictionary<string, string> { ["/run"] = "size=64m" }, r.HostConfig.Tmpfs);

        Assert.Equal("Duplicate mount point: /x", Fails("-v", "/a:/x", "-v", "/b:/x/", "img"));
        Assert.Equal("Duplicate mount point: /x", Fails("-v", "/a:/x", "--mount", "type=bind,src=/b,dst=/x", "img"));
        Assert.Equal("invalid mount config for type \"bind\": field Source must not be empty", Fails("--mount", "type=bind,dst=/x", "img"));
        Assert.Equal("invalid mode: xx", Fails("-v", "/a:/b:xx", "img"));
        Assert.Equal("invalid mount path: 'run' mount path must be absolute", Fails("--tmpfs", "run", "img"));
    }

    [Fact]
    public void NetworkIsNoneOrHostForNow()
    {
        Assert.Equal("host", Run("--network", "host", "img").HostConfig.NetworkMode);
        Assert.Equal("none", Run("--net=none", "img").HostConfig.NetworkMode);
        Assert.Equal("--network bridge: bridge networking is not supported yet; use --network none or --network host", Fails("--network", "bridge", "img"));
        Assert.Equal("--network default: bridge networking is not supported yet; use --network none or --network host", Fails("--network", "default", "img"));
        Assert.Equal("network mynet not found", Fails("--network", "mynet", "img"));
        Assert.Contains("not supported yet", Fails("--network", "container:web", "img"));
        Assert.Equal("network \"host\" is specified multiple times", Fails("--network", "host", "--net", "host", "img"));
        Assert.StartsWith("conflicting options:", Fails("--network", "host", "--network", "none", "img"));

        var h = Run("--add-host", "db=10.0.0.2", "--dns", "9.9.9.9", "--dns-search", "corp.example.", "--dns-option", "ndots:2", "--dns-opt", "rotate", "--expose", "80", "--expose", "53/udp", "img");
        Assert.Equal(["db:10.0.0.2"], h.HostConfig.ExtraHosts!);
        Assert.Equal(["9.9.9.9"], h.HostConfig.Dns!);
        Assert.Equal(["corp.example"], h.HostConfig.DnsSearch!);
        Assert.Equal(["ndots:2", "rotate"], h.HostConfig.DnsOptions!);
        Assert.Equal(["80/tcp", "53/udp"], h.Config.ExposedPorts!.Keys);
    }

    [Fact]
    public void HealthchecksAreDockers()
    {
        var hc = Run("--health-cmd", "curl -f localhost", "--health-interval", "30s", "--health-timeout", "5s", "--health-retries", "3",
            "--health-start-period", "1m", "--health-start-interval", "500ms", "img").Config.Healthcheck!;
        Assert.Equal(["CMD-SHELL", "curl -f localhost"], hc.Test!);
        Assert.Equal((30_000_000_000L, 5_000_000_000L, 3, 60_000_000_000L, 500_000_000L), (hc.Interval, hc.Timeout, hc.Retries, hc.StartPeriod, hc.StartInterval));
        var retriesOnly = Run("--health-retries", "2", "img").Config.Healthcheck!;
        Assert.Null(retriesOnly.Test);
        Assert.Equal(2, retriesOnly.Retries);
        Assert.Equal(["NONE"], Run("--no-healthcheck", "img").Config.Healthcheck!.Test!);

        Assert.Equal("--no-healthcheck conflicts with --health-* options", Fails("--no-healthcheck", "--health-cmd", "true", "img"));
        Assert.Equal("--health-interval cannot be negative", Fails("--health-interval", "-1s", "img"));
        Assert.Equal("--health-retries cannot be negative", Fails("--health-retries", "-1", "img"));
        Assert.Equal("Interval in Healthcheck cannot be less than 1ms", Fails("--health-interval", "500us", "img"));
        Assert.Equal("StartInterval in Healthcheck cannot be less than 1ms", Fails("--health-start-interval", "1ns", "img"));
    }

    [Fact]
    public void SecurityReachesTheHostConfig()
    {
        var h = Run("--cap-add", "NET_ADMIN", "--cap-add", "cap_sys_time", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--security-opt", "seccomp=unconfined", "--security-opt", "systempaths=unconfined", "img").HostConfig;
        Assert.Equal(["NET_ADMIN", "cap_sys_time"], h.CapAdd!);
        Assert.Equal(["ALL"], h.CapDrop!);
        Assert.Equal(["no-new-privileges", "seccomp=unconfined"], h.SecurityOpt!);
        Assert.Equal((0, 0), (h.MaskedPaths!.Count, h.ReadonlyPaths!.Count));
        Assert.Equal("unknown capability: \"CAP_FOO\"", Fails("--cap-add", "foo", "img"));
        Assert.Equal("unknown capability: \"CAP_\"", Fails("--cap-drop", "", "img"));
        Assert.Equal(new Dictionary<string, string> { ["net.ipv4.ip_forward"] = "1" }, Run("--sysctl", "net.ipv4.ip_forward=1", "img").HostConfig.Sysctls);
    }

    [Fact]
    public void NamespaceModesAreChecked()
    {
        var h = Run("--pid", "host", "--uts", "private", "--userns", "auto", "--cgroupns", "host", "--ipc", "shareable", "img").HostConfig;
        Assert.Equal(("host", "private", "auto", "host", "shareable"), (h.PidMode, h.UTSMode, h.UsernsMode, h.CgroupnsMode, h.IpcMode));
        Assert.Equal("container:web", Run("--pid", "container:web", "img").HostConfig.PidMode);
        Assert.Equal("host", Run("--userns", "host", "img").HostConfig.UsernsMode);

        Assert.Equal("--pid: invalid PID mode", Fails("--pid", "bogus", "img"));
        Assert.Equal("--pid: invalid PID mode", Fails("--pid", "container:", "img"));
        Assert.Equal("--uts: invalid UTS mode", Fails("--uts", "container:x", "img"));
        Assert.Equal("--userns: invalid USER mode", Fails("--userns", "keep-id", "img"));
        Assert.Equal("--cgroupns: invalid CGROUP mode", Fails("--cgroupns", "shared", "img"));
        Assert.Equal("invalid IPC mode: bogus", Fails("--ipc", "bogus", "img"));
    }

    [Fact]
    public void LoggingIsJsonFileOrNone()
    {
        var h = Run("--log-opt", "max-size=10m", "--log-opt", "max-file=3", "img").HostConfig;
        Assert.Equal(("json-file", "10m", "3"), (h.LogConfig.Type, h.LogConfig.Config["max-size"], h.LogConfig.Config["max-file"]));
        Assert.Equal("none", Run("--log-driver", "none", "img").HostConfig.LogConfig.Type);

        Assert.Equal("invalid logging opts for driver none", Fails("--log-driver", "none", "--log-opt", "max-size=1m", "img"));
        Assert.Equal("log driver \"syslog\" is not supported: berth has json-file and none", Fails("--log-driver", "syslog", "img"));
        Assert.Equal("max-file cannot be less than 1", Fails("--log-opt", "max-file=0", "img"));
        Assert.Equal("max-size must be a positive number", Fails("--log-opt", "max-size=0", "img"));
        Assert.Equal("invalid suffix: 'x'", Fails("--log-opt", "max-size=1x", "img"));
        Assert.Equal("log opt 'tag' is not supported by berth's json-file log driver", Fails("--log-opt", "tag={{.Name}}", "img"));
        Assert.Equal("unknown log opt 'bogus' for json-file log driver", Fails("--log-opt", "bogus=1", "img"));
    }

    [Fact]
    public void TheDaemonsChecksApply()
    {
        Assert.Equal("web-1.a_b", Run("--name", "web-1.a_b", "img").Name);
        Assert.Equal("Invalid container name (bad name!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", Fails("--name", "bad name!", "img"));
        Assert.Equal("Invalid container name (x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", Fails("--name", "x", "img"));
        Assert.Equal("the working directory 'srv' is invalid, it needs to be an absolute path", Fails("-w", "srv", "img"));
        Assert.Equal("invalid signal: SIGFOO", Fails("--stop-signal", "SIGFOO", "img"));
        Assert.Equal("TERM", Run("--stop-signal", "TERM", "img").Config.StopSignal);
    }

    [Fact]
    public void PullAndPlatform()
    {
        Assert.Equal("missing", Collect(_ => null, ["img"], out _).PullPolicy());
        Assert.Equal("never", Collect(_ => null, ["--pull", "never", "img"], out _).PullPolicy());
        Assert.Equal("linux/arm64", Collect(_ => null, ["--platform", "linux/arm64", "img"], out _).Platform);
        Assert.Equal("invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\"",
            Fails(() => Collect(_ => null, ["--pull", "sometimes", "img"], out _).PullPolicy()));
    }
}
