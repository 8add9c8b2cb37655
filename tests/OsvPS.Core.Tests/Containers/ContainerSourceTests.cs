using System;
using System.Text;
using OsvPS.Core.Containers;
using OsvPS.Core.Errors;
using Xunit;

namespace OsvPS.Core.Tests.Containers
{
    /// <summary>The three forms of a container image reference, and the config fields an image says it runs with.</summary>
    public sealed class ContainerSourceTests
    {
        [Theory]
        [InlineData("oci:/images/app:1.0", ContainerSourceKind.OciLayout, "/images/app", "1.0")]
        [InlineData("oci:/images/app", ContainerSourceKind.OciLayout, "/images/app", null)]
        [InlineData("oci:relative/app:latest", ContainerSourceKind.OciLayout, "/work/relative/app", "latest")]
        [InlineData("oci:/odd:name/app", ContainerSourceKind.OciLayout, "/odd:name/app", null)]
        [InlineData("docker-archive:/tmp/app.tar", ContainerSourceKind.DockerArchive, "/tmp/app.tar", null)]
        [InlineData("docker-archive:app.tar", ContainerSourceKind.DockerArchive, "/work/app.tar", null)]
        public void LayoutsAndArchivesAreReadWithTheirPathAndTag(string text, ContainerSourceKind kind, string path, string? tag)
        {
            var source = ContainerSource.Parse(text, "/work");
            Assert.Equal(kind, source.Kind);
            Assert.Equal(path, source.Path);
            Assert.Equal(tag, source.Tag);
            Assert.Null(source.Reference);
            Assert.Equal(text, source.ToString());
        }

        [Theory]
        [InlineData("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000", "team/app", "1.0")]
        [InlineData("docker://quay.io/team/app", "quay.io", "team/app", null)]
        [InlineData("debian:12", "docker.io", "library/debian", "12")]
        public void AnythingElseIsARegistryReference(string text, string registry, string repository, string? tag)
        {
            var source = ContainerSource.Parse(text);
            Assert.Equal(ContainerSourceKind.Registry, source.Kind);
            Assert.Equal(registry, source.Reference!.Registry);
            Assert.Equal(repository, source.Reference.Repository);
            Assert.Equal(tag, source.Tag);
            Assert.Null(source.Path);
        }

        [Theory]
        [InlineData("", "empty")]
        [InlineData("oci:", "no path")]
        [InlineData("oci:/x:-bad", "not a tag")]
        [InlineData("docker-archive:", "no path")]
        [InlineData("oci-archive:/x.tar", "not read by OsvPS")]
        [InlineData("containers-storage:app", "not read by OsvPS")]
        [InlineData("Team/App:1", "not a valid repository name")]
        public void AMalformedReferenceSaysWhy(string text, string why)
        {
            var e = Assert.Throws<OsvException>(() => ContainerSource.Parse(text));
            Assert.Equal(ErrorIds.ContainerReferenceInvalid, e.ErrorId);
            Assert.Equal(OsvErrorKind.InvalidArgument, e.Kind);
            Assert.Contains(why, e.Message);
        }

        [Fact]
        public void TheConfigGivesHealthcheckDurationsAndIgnoresWhatIsNotText()
        {
            string json = "{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Entrypoint\":[\"/a\",1],\"Healthcheck\":{\"Test\":[\"CMD\",\"/health\"],\"Interval\":30000000000,\"Timeout\":5000000000,\"Retries\":3},\"Labels\":{\"a\":\"b\",\"n\":2}},\"rootfs\":{\"diff_ids\":[\"sha256:" + new string('1', 64) + "\"]}}";
            var config = ContainerConfig.Parse(Encoding.UTF8.GetBytes(json), why => new OsvException(ErrorIds.ContainerImageInvalid, OsvErrorKind.InvalidData, why));
            Assert.Equal(new[] { "/a" }, config.Entrypoint);
            Assert.Equal(new[] { "CMD", "/health" }, config.Healthcheck!.Test);
            Assert.Equal(TimeSpan.FromSeconds(30), config.Healthcheck.Interval);
            Assert.Equal(TimeSpan.FromSeconds(5), config.Healthcheck.Timeout);
            Assert.Null(config.Healthcheck.StartPeriod);
            Assert.Equal(3, config.Healthcheck.Retries);
            Assert.Equal("b", Assert.Single(config.Labels).Value);
            Assert.Single(config.DiffIds);
            var e = Assert.Throws<OsvException>(() => ContainerConfig.Parse(Encoding.UTF8.GetBytes("[1,"), why => new OsvException(ErrorIds.ContainerImageInvalid, OsvErrorKind.InvalidData, why)));
            Assert.Equal(ErrorIds.ContainerImageInvalid, e.ErrorId);
        }
    }
}
