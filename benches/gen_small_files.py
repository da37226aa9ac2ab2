import os,random,sys,json
# Usage: python3 benches/gen_small_files.py DIR N  (the trees of docs/scale.md, "Many small files")
# Many small files: txt/log/csv/json of 1-20 KB, 1% with PI (a mobile, an e-mail, an ID).
random.seed(11)
root=sys.argv[1]; n=int(sys.argv[2])
W=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]; C='10X98765432'
def rid():
    b='110105%04d%02d%02d%03d'%(random.randint(1950,2005),random.randint(1,12),random.randint(1,28),random.randint(0,999))
    return b+C[sum(int(x)*w for x,w in zip(b,W))%11]
words='the quick brown fox jumps over lazy dog order status shipped pending invoice total amount'.split()
for i in range(n):
    d=os.path.join(root,'d%03d'%(i%500)); os.makedirs(d,exist_ok=True)
    kind=i%4; size=random.randint(1000,20000); pi=(i%100==0)
    if kind==0:
        lines=[]
        while sum(map(len,lines))<size: lines.append(' '.join(random.choice(words) for _ in range(12)))
        if pi: lines.insert(3,'客户 13%09d 联系 user%d@example.com 身份证 %s'%(random.randint(0,10**9-1),i,rid()))
        open(os.path.join(d,'f%06d.txt'%i),'w').write('\n'.join(lines))
    elif kind==1:
        lines=[]
        while sum(map(len,lines))<size: lines.append('2026-11-%02d 12:00:%02d INFO request id=%d path=/api/v1/items status=200'%(random.randint(1,28),random.randint(0,59),random.randint(0,10**6)))
        if pi: lines.insert(2,'2026-11-01 12:00:00 INFO login phone=13%09d'%random.randint(0,10**9-1))
        open(os.path.join(d,'f%06d.log'%i),'w').write('\n'.join(lines))
    elif kind==2:
        rows=['id,item,qty,price']
        while sum(map(len,rows))<size: rows.append('%d,%s,%d,%.2f'%(random.randint(1,10**6),random.choice(words),random.randint(1,9),random.uniform(1,999)))
        if pi: rows[0]='id,item,qty,price,mobile'; rows=[rows[0]]+[r+',13%09d'%random.randint(0,10**9-1) for r in rows[1:]]
        open(os.path.join(d,'f%06d.csv'%i),'w').write('\n'.join(rows))
    else:
        recs=[]
        while sum(map(len,recs))<size: recs.append(json.dumps({'id':random.randint(1,10**6),'item':random.choice(words),'qty':random.randint(1,9)}))
        if pi: recs.insert(1,json.dumps({'id':1,'email':'user%d@example.com'%i}))
        open(os.path.join(d,'f%06d.json'%i),'w').write('\n'.join(recs))
