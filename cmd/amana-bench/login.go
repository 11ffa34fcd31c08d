package main

import (
	"context"
	"fmt"
	"time"

	"filippo.io/age"
)

type latencies struct {
	N        int
	P50, P99 time.Duration
	Max      time.Duration
	Errors   int
	Load     string
	// CPU time per operation, this process and the server child.
	CPUClient, CPUServer time.Duration
}

func summarize(ds []time.Duration, errors int) latencies {
	l := latencies{N: len(ds), Errors: errors, Load: load1()}
	if len(ds) > 0 {
		l.P50, l.P99, l.Max = percentile(ds, 50), percentile(ds, 99), percentile(ds, 100)
	}
	return l
}

// benchLogin logs each user in once, one after the other, with the code of
// the current TOTP step (a code is accepted once per user and step), and
// times the whole round trip: challenge, age decryption of the challenge on
// this side, login with the response and the code.
func benchLogin(ctx context.Context, cfg *config, srv *server, users []*benchUser, name string) (latencies, error) {
	c := newClient(srv.URL, 20)
	var ds []time.Duration
	errs := 0
	var firstErr error
	m := meterCPU(srv)
	err := cfg.profile(name, func() error {
		for _, u := range users {
			code, err := u.code()
			if err != nil {
				return err
			}
			start := time.Now()
			_, err = c.Login(ctx, u.ID, []age.Identity{u.Identity}, code)
			d := time.Since(start)
			if err != nil {
				errs++
				if firstErr == nil {
					firstErr = fmt.Errorf("login %s: %w", u.ID, err)
				}
				continue
			}
			ds = append(ds, d)
		}
		return nil
	})
	if err != nil {
		return latencies{}, err
	}
	cl, sv := m.Stop()
	if firstErr != nil {
		logf("%d of %d logins failed; first: %v", errs, len(users), firstErr)
	}
	l := summarize(ds, errs)
	if len(users) > 0 {
		l.CPUClient, l.CPUServer = cl/time.Duration(len(users)), sv/time.Duration(len(users))
	}
	return l, nil
}
