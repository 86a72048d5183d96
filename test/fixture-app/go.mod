module kubestage.local/fixture-app

go 1.24
