package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// maxPassphraseFile bounds what is read from a passphrase file.
const maxPassphraseFile = 4096

// readPassphrase returns the vault passphrase from, in order: the file
// given with --passphrase-file, the AMANA_PASSPHRASE environment variable,
// or a prompt on the terminal (asked twice when confirm is set).
func readPassphrase(file string, confirm bool) (string, error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("passphrase file: %w", err)
		}
		defer f.Close()
		buf := make([]byte, maxPassphraseFile+1)
		n, _ := f.Read(buf)
		if n > maxPassphraseFile {
			return "", errors.New("passphrase file is larger than 4 KiB")
		}
		p := strings.TrimRight(string(buf[:n]), "\r\n")
		if p == "" {
			return "", errors.New("passphrase file is empty")
		}
		return p, nil
	}
	if p := os.Getenv("AMANA_PASSPHRASE"); p != "" {
		return p, nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		return "", errors.New("no passphrase: use --passphrase-file or AMANA_PASSPHRASE, or run in a terminal")
	}
	defer tty.Close()
	fmt.Fprint(tty, "Vault passphrase: ")
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return "", err
	}
	if len(p) == 0 {
		return "", errors.New("empty passphrase")
	}
	if confirm {
		fmt.Fprint(tty, "Again, to confirm: ")
		q, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return "", err
		}
		if string(q) != string(p) {
			return "", errors.New("passphrases do not match")
		}
	}
	return string(p), nil
}
