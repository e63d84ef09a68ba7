namespace Berth.IntegrationTests.Containers;

/// <summary>
/// berth diff and berth commit: the changes a container made to its image's files, and the round
/// trip of those changes through a new image (a file of the image deleted must stay deleted: a
/// whiteout), with the config the container and --change give it.
/// </summary>
[Collection("images")]
public sealed class CommitTests(EngineStore store) : IClassFixture<EngineStore>
{
    private const string Changes =
        "echo new > /new.txt && echo changed >> /etc/group && rm /bin/ls && mkdir -p /opt/app && echo app > /opt/app/run"
        + " && rm -rf /root && mkdir /root && echo fresh > /root/only";

    [Fact]
    public void DiffListsWhatWasAddedChangedAndDeleted()
    {
        store.Berth("run", "--name", "diff-one", "busybox", "sh", "-c", Changes).Ok();
        store.Berth("create", "--name", "diff-none", "busybox", "true").Ok();
        try
        {
            var r = store.Berth("diff", "diff-one").Ok();
            Assert.Equal("C /bin\nD /bin/ls\nC /etc\nC /etc/group\nA /new.txt\nA /opt\nA /opt/app\nA /opt/app/run\nC /root\nA /root/only\n", r.Stdout);
            // The runtime's own mount points (/etc/hosts, /etc/hostname, /etc/resolv.conf) are not changes.
            store.Berth("start", "-a", "diff-none").Ok();
            Assert.Equal("", store.Berth("diff", "diff-none").Ok().Stdout);
            Assert.Equal("", store.Berth("container", "diff", "diff-none").Ok().Stdout);
            var missing = store.Berth("diff", "no-such-container");
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("No such container: no-such-container", missing.Stderr);
        }
        finally { store.Berth("rm", "diff-one", "diff-none").Ok(); }
    }

    [Fact]
    public void ACommittedImageRunsWithTheContainersChanges()
    {
        store.Berth("run", "--name", "commit-src", "-e", "FROM_RUN=1", "busybox", "sh", "-c", Changes).Ok();
        string image = "";
        try
        {
            var commit = store.Berth("commit", "-a", "Ada <ada@example.org>", "-m", "first commit",
                "-c", "CMD [\"cat\", \"/new.txt\"]", "-c", "ENV GREETING=hello", "-c", "LABEL stage=test",
                "-c", "WORKDIR /opt/app", "-c", "EXPOSE 8080", "commit-src", "committed:v1").Ok();
            image = commit.Stdout.Trim();
            Assert.Matches("^sha256:[0-9a-f]{64}$", image);

            Assert.Equal("new\n", store.Berth("run", "--rm", "committed:v1").Ok().Stdout);
            var files = store.Berth("run", "--rm", "committed:v1", "sh", "-c",
                "test -e /bin/ls && echo ls-still-there; tail -1 /etc/group; cat /opt/app/run; echo /root/*; pwd; echo $GREETING $FROM_RUN").Ok();
            Assert.Equal("changed\napp\n/root/only\n/opt/app\nhello 1\n", files.Stdout);

            Assert.Equal("Ada <ada@example.org>", store.Berth("image", "inspect", "-f", "{{.Author}}", "committed:v1").Ok().Stdout.Trim());
            Assert.Equal("test", store.Berth("image", "inspect", "-f", "{{index .Config.Labels \"stage\"}}", "committed:v1").Ok().Stdout.Trim());
            Assert.Contains("8080/tcp", store.Berth("image", "inspect", "-f", "{{json .Config.ExposedPorts}}", "committed:v1").Ok().Stdout);
            int parentLayers = Layers("busybox");
            Assert.Equal(parentLayers + 1, Layers("committed:v1"));
            var history = store.Berth("history", "--no-trunc", "committed:v1").Ok().Stdout;
            Assert.Contains("first commit", history);

            // What the image holds, without running anything: the whiteout hides busybox's /bin/ls.
            store.Berth("create", "--name", "commit-check", "committed:v1").Ok();
            Assert.Equal("", store.Berth("diff", "commit-check").Ok().Stdout);
            Assert.Equal(1, store.Sh("berth cp commit-check:/bin/ls - >/dev/null").ExitCode);
            Assert.Equal("changed\n", store.Sh("berth cp commit-check:/etc/group - | tar -xOf - | tail -1").Ok().Stdout);
        }
        finally
        {
            store.Berth("rm", "-f", "commit-src", "commit-check");
            if (image.Length > 0) store.Berth("rmi", image).Ok();
        }
    }

    [Fact]
    public void CommittingARunningContainerPausesItAndLetsItRun()
    {
        store.Berth("run", "-d", "--name", "commit-live", "busybox", "sh", "-c", "echo live > /live.txt && exec sleep 600").Ok();
        string image = "";
        try
        {
            RunTests.WaitFor(() => store.Berth("exec", "commit-live", "test", "-e", "/live.txt").ExitCode == 0);
            image = store.Berth("commit", "commit-live").Ok().Stdout.Trim();
            Assert.Equal("running false", store.Inspect("commit-live", "{{.State.Status}} {{.State.Paused}}"));
            // Untagged: a dangling image, known by its id.
            Assert.Equal("live\n", store.Berth("run", "--rm", image, "cat", "/live.txt").Ok().Stdout);
            Assert.Contains("<none>", store.Berth("images").Ok().Stdout);
            // The container's command is the image's.
            Assert.Equal("sh|-c|echo live > /live.txt && exec sleep 600",
                store.Berth("image", "inspect", "-f", "{{join .Config.Cmd \"|\"}}", image).Ok().Stdout.Trim());
        }
        finally
        {
            store.Berth("rm", "-f", "commit-live").Ok();
            if (image.Length > 0) store.Berth("rmi", image).Ok();
        }
    }

    [Fact]
    public void ACommitWithoutChangesAddsNoLayer()
    {
        store.Berth("create", "--name", "commit-empty", "busybox", "true").Ok();
        try
        {
            string image = store.Berth("commit", "-m", "nothing", "commit-empty", "empty-commit").Ok().Stdout.Trim();
            Assert.Equal(Layers("busybox"), Layers("empty-commit"));
            Assert.Contains("nothing", store.Berth("history", "empty-commit").Ok().Stdout);
            store.Berth("rmi", image).Ok();
        }
        finally { store.Berth("rm", "commit-empty").Ok(); }
    }

    [Fact]
    public void BadCommitsAreRefusedAndStoreNothing()
    {
        store.Berth("create", "--name", "commit-bad", "busybox", "true").Ok();
        try
        {
            int images = store.Berth("images", "-q").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            var badName = store.Berth("commit", "commit-bad", "Not/Valid:Name");
            Assert.Equal(1, badName.ExitCode);
            var badChange = store.Berth("commit", "-c", "RUN rm -rf /", "commit-bad", "bad-change");
            Assert.Equal(1, badChange.ExitCode);
            Assert.Contains("RUN", badChange.Stderr);
            var noContainer = store.Berth("commit", "no-such-container", "x");
            Assert.Equal(1, noContainer.ExitCode);
            Assert.Contains("No such container", noContainer.Stderr);
            Assert.Equal(images, store.Berth("images", "-q").Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
        finally { store.Berth("rm", "commit-bad").Ok(); }
    }

    [Fact]
    public void ACommitOfAContainerWithItsOwnUserNamespaceHasItsIds()
    {
        store.Berth("run", "--name", "commit-userns", "--userns=auto", "busybox", "sh", "-c",
            "echo mine > /mine.txt && chown 42:43 /mine.txt && rm /bin/ls").Ok();
        string image = "";
        try
        {
            image = store.Berth("commit", "commit-userns", "userns-commit").Ok().Stdout.Trim();
            // Run without a user namespace: the ids are the ones the container gave, not its host ids.
            var r = store.Berth("run", "--rm", "userns-commit", "sh", "-c", "ls -n /mine.txt | awk '{print $3\":\"$4}'; test -e /bin/ls || echo gone").Ok();
            Assert.Equal("42:43\ngone\n", r.Stdout);
        }
        finally
        {
            store.Berth("rm", "commit-userns").Ok();
            if (image.Length > 0) store.Berth("rmi", image).Ok();
        }
    }

    private int Layers(string image) =>
        store.Berth("image", "inspect", "-f", "{{json .RootFS.Layers}}", image).Ok().Stdout.Split("sha256:").Length - 1;
}
