progress 2 503
