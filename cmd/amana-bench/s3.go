package main

import (
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// plainS3 uploads the file with minio-go alone (PutObject, its defaults)
// to the bucket of the blob store URL, under bench/, then downloads it to
// out and syncs it: the peer of a deposit and a get on the S3 backend.
func plainS3(ctx context.Context, rawURL, file, out string) (up, down time.Duration, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, 0, err
	}
	ep, err := url.Parse(u.Query().Get("endpoint"))
	if err != nil || ep.Host == "" {
		return 0, 0, errors.New("the blob store URL has no endpoint")
	}
	region := u.Query().Get("region")
	c, err := minio.New(ep.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		Secure: ep.Scheme == "https", Region: region, BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return 0, 0, err
	}
	key := strings.Trim(u.Path, "/") + "/bench/plain.age"
	f, err := os.Open(file)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if _, err := c.PutObject(ctx, u.Host, key, f, fi.Size(), minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
		return 0, 0, err
	}
	up = time.Since(start)
	start = time.Now()
	obj, err := c.GetObject(ctx, u.Host, key, minio.GetObjectOptions{})
	if err != nil {
		return 0, 0, err
	}
	defer obj.Close()
	g, err := os.Create(out)
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(out)
	defer g.Close()
	if _, err := io.Copy(g, obj); err != nil {
		return 0, 0, err
	}
	if err := g.Sync(); err != nil {
		return 0, 0, err
	}
	down = time.Since(start)
	return up, down, c.RemoveObject(ctx, u.Host, key, minio.RemoveObjectOptions{})
}
